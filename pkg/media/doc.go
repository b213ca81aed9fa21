// Package media is everything igbridge does on Instagram's side of the bridge: finding and
// canonicalising Instagram links (link.go, findlinks.go), resolving share links (share.go),
// extracting posts with yt-dlp, either through long-lived worker processes or one process per
// link (extractor.go, workerpool.go, worker.go, ytdlp.go), reading yt-dlp's info JSON into a
// Post (info.go, post.go), classifying Instagram's failures (errors.go) and downloading media
// from Instagram's CDN only, with a size cap and a timeout (download.go, scratch.go).
//
// It knows nothing of Matrix: the connector package turns a Post into Matrix events.
package media
