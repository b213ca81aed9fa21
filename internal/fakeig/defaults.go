package fakeig

import "fmt"

// defaultVideoSize is the size of ordinary fixture videos: small enough to be
// quick, large enough to exercise streaming.
const defaultVideoSize = 32 << 10

func videoItem(code string, n, w, h int, dur float64) FixtureItem {
	return FixtureItem{
		Video: true, MediaURL: videoURL(code, n), ThumbURL: imageURL(code, n),
		Width: w, Height: h, Duration: dur, Size: defaultVideoSize + int64(n)*1024,
		dashVideo: dashURL(code, n, "v"), dashAudio: dashURL(code, n, "a"),
	}
}

func imageItem(code string, n, w, h int) FixtureItem {
	return FixtureItem{MediaURL: imageURL(code, n), ThumbURL: smallImageURL(code, n, w/2, h/2), Width: w, Height: h}
}

func post(code, user, name, userPK, caption string, takenAt int64, b Behavior, items ...FixtureItem) *Fixture {
	f := &Fixture{
		Code: code, PK: CodeToPK(code), Username: user, FullName: name, UserPK: userPK,
		Caption: caption, TakenAt: takenAt, Behavior: b, Items: items,
	}
	for i := range f.Items {
		f.Items[i].PK = f.PK
		if len(f.Items) > 1 {
			// Carousel children have their own pks, hence their own yt-dlp ids.
			f.Items[i].PK = addPK(f.PK, int64(i+1))
		}
		f.Items[i].ID = PKToCode(f.Items[i].PK)
	}
	return f
}

func reel(code, caption string, b Behavior) *Fixture {
	return post(code, "instagram", "Instagram", "25025320", caption, 1661529231, b, videoItem(code, 1, 320, 240, 2.0))
}

func defaultFixtures() []*Fixture {
	carousel := post(CodeCarousel, "natgeo", "National Geographic", "787132",
		"Three things: a photo, a clip & another photo", 1700000000, BehaviorOK,
		imageItem(CodeCarousel, 1, 640, 640),
		videoItem(CodeCarousel, 2, 360, 640, 3.5),
		imageItem(CodeCarousel, 3, 480, 600))

	var big []FixtureItem
	for n := 1; n <= 12; n++ {
		if n%4 == 0 {
			big = append(big, videoItem(CodeBigCarousel, n, 320, 320, 1.0))
		} else {
			big = append(big, imageItem(CodeBigCarousel, n, 320, 320))
		}
	}

	huge := videoItem(CodeHuge, 1, 640, 360, 1200.0)
	huge.Size = HugeSize

	hostile := videoItem(CodeHostile, 1, 320, 240, 2.0)
	hostile.MediaURL = "https://evil.example/clip.mp4"
	hostile.dashVideo, hostile.dashAudio = "", "" // keep the hostile URL the only video choice
	httpMedia := videoItem(CodeHTTPMedia, 1, 320, 240, 2.0)
	httpMedia.MediaURL = "http://" + cdnHost + "/o1/v/t16/f2/m86/" + CodeHTTPMedia + "/1.mp4?efg=x&oe=6A00F00D"
	httpMedia.dashVideo, httpMedia.dashAudio = "", ""

	storyVideo := videoItem(StoryCode, 1, 360, 640, 5.0)
	storyVideo.PK, storyVideo.ID = StoryID, StoryCode
	storyImage := imageItem(StoryCode, 2, 360, 640)
	storyImage.PK, storyImage.ID = StoryImageID, PKToCode(StoryImageID)

	fixtures := []*Fixture{
		reel(CodeReel, "Reel caption with #hashtag and emoji 🎉\nsecond line", BehaviorOK),
		post(CodeImage, "nasa", "NASA", "528817151",
			`Image caption with <b>"Tom & Jerry"</b> & friends`, 1690000000, BehaviorOK,
			imageItem(CodeImage, 1, 640, 480)),
		carousel,
		post(CodeBigCarousel, "natgeo", "National Geographic", "787132",
			"Twelve items", 1700000100, BehaviorOK, big...),
		post(CodeHuge, "instagram", "Instagram", "25025320", "A very long video", 1700000200, BehaviorOK, huge),
		post(CodePrivate, "secretuser", "Secret User", "777001", "Followers only", 1700000300, BehaviorPrivate,
			videoItem(CodePrivate, 1, 320, 240, 2.0)),
		reel(CodeLoginWall, "Behind the login wall", BehaviorLoginWall),
		{Code: CodeNotFound, PK: CodeToPK(CodeNotFound), Behavior: BehaviorNotFound},
		reel(CodeRateLimited, "Rate limited", BehaviorRateLimited),
		reel(CodeRestricted, "Adults only", BehaviorRestricted),
		reel(CodeEmptyMedia, "Empty media response", BehaviorEmptyMedia),
		reel(CodeSlow, "Slow post caption", BehaviorOK),
		post(CodeHostile, "evilcorp", "Evil Corp", "666", "Totally legit clip", 1700000400, BehaviorOK, hostile),
		post(CodeFormats, "instagram", "Instagram", "25025320", "One clip in several formats", 1700000700, BehaviorOK, realItem(CodeFormats)),
		post(CodeBigDash, "instagram", "Instagram", "25025320", "A big clip in DASH", 1700000710, BehaviorOK, realItem(CodeBigDash)),
		post(CodeBigTranscode, "instagram", "Instagram", "25025320", "A big clip to shrink", 1700000720, BehaviorOK, realItem(CodeBigTranscode)),
		post(CodeHTTPMedia, "plainhttp", "Plain HTTP", "8080", "Served over http", 1700000500, BehaviorOK, httpMedia),
		{
			Code: StoryCode, PK: StoryID, Username: StoryUser, FullName: "Story OK", UserPK: StoryUserPK,
			TakenAt: 1700000600, Story: true, Items: []FixtureItem{storyVideo, storyImage},
		},
	}
	for i := range BigVideoCount {
		big := videoItem(BigVideoCode(i), 1, 720, 1280, 60.0)
		big.Size = BigVideoSize
		big.dashVideo, big.dashAudio = "", "" // one file, streamed straight through
		fixtures = append(fixtures, post(BigVideoCode(i), "instagram", "Instagram", "25025320", "A big video", 1700000800, BehaviorOK, big))
	}
	for i := range BulkCount {
		fixtures = append(fixtures, reel(BulkCode(i), fmt.Sprintf("Bulk reel %d", i), BehaviorOK))
	}
	return fixtures
}

// BulkCount is how many interchangeable reels BulkCode names, for tests that need many distinct posts.
const BulkCount = 40

// BulkCode is the shortcode of the i-th bulk reel (0 <= i < BulkCount).
func BulkCode(i int) string { return fmt.Sprintf("Bulk%05d", i) }

// BigVideoCount is how many interchangeable 50 MiB videos BigVideoCode names, for measurements
// that repeat a cache miss.
const BigVideoCount = 5

// BigVideoCode is the shortcode of the i-th big video (0 <= i < BigVideoCount); the first is
// CodeBigVideo.
func BigVideoCode(i int) string { return fmt.Sprintf("BigVideo%02d", i+1) }
