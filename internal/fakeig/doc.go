// Package fakeig is a fake Instagram for tests: an HTTP proxy on loopback that
// terminates TLS for Instagram's hosts with a throw-away CA and answers the
// requests the real yt-dlp Instagram extractor makes (2026 flow: home page LSD
// token, ruling endpoint, /p/<code> data-sjs page, logged-in media info API,
// stories) plus the CDN media downloads.
//
// Nothing is ever forwarded: hosts that are not part of the fake are refused
// with 502 and logged. Clients trust the fake through CAFile (yt-dlp: env
// SSL_CERT_FILE=<CAFile> with --compat-options no-certifi) or CAPool (Go).
package fakeig
