package fakeig

import (
	"hash/fnv"
	"net/url"
	"strings"
)

// catalog indexes the fixtures and every media file they reference.
type catalog struct {
	list      []*Fixture
	byCode    map[string]*Fixture
	byPK      map[string]*Fixture // post pk and story item pks
	byStoryID map[string]*Fixture
	byUser    map[string]*Fixture // story owners only
	files     map[string]*mediaFile
	shares    map[string]string // "<kind>/<code>" -> redirect target
}

// mediaFile is one URL the CDN serves.
type mediaFile struct {
	code        string // owning fixture, for SetDelay
	contentType string
	video       bool
	size        int64  // videos
	real        string // RealFormat.Name of a generated file, instead of synthetic bytes
	width       int    // images
	height      int
	seed        uint64
}

func newCatalog(fixtures []*Fixture) *catalog {
	c := &catalog{
		list:      fixtures,
		byCode:    map[string]*Fixture{},
		byPK:      map[string]*Fixture{},
		byStoryID: map[string]*Fixture{},
		byUser:    map[string]*Fixture{},
		files:     map[string]*mediaFile{},
		shares: map[string]string{
			"reel/" + ShareCode:   ReelURL(CodeReel) + "?igsh=fake",
			"p/" + ShareLoginCode: "https://www.instagram.com/accounts/login/?next=%2Fshare%2Fp%2F" + ShareLoginCode + "%2F",
		},
	}
	for _, f := range fixtures {
		c.byCode[f.Code] = f
		c.byPK[f.PK] = f
		if f.Story {
			c.byUser[f.Username] = f
		}
		for _, it := range f.Items {
			if f.Story {
				c.byStoryID[it.PK] = f
				c.byPK[it.PK] = f
			}
			c.addItemFiles(f.Code, it)
		}
	}
	return c
}

func (c *catalog) addItemFiles(code string, it FixtureItem) {
	if !it.Video {
		c.addImage(code, it.MediaURL, it.Width, it.Height)
		c.addImage(code, it.ThumbURL, it.Width/2, it.Height/2)
		return
	}
	c.addImage(code, it.ThumbURL, it.Width, it.Height)
	if it.real {
		for _, f := range RealFormatsOf(code) {
			contentType := "video/mp4"
			if !f.Video {
				contentType = "audio/mp4"
			}
			c.files[mediaKey(f.URL)] = &mediaFile{code: code, contentType: contentType, video: true, real: f.Name}
		}
		return
	}
	c.addVideo(code, it.MediaURL, it.Size, "video/mp4")
	if it.dashVideo != "" {
		v, a := dashSizes(it)
		c.addVideo(code, it.dashVideo, v, "video/mp4")
		c.addVideo(code, it.dashAudio, a, "audio/mp4")
	}
}

func (c *catalog) addImage(code, rawURL string, w, h int) {
	key := mediaKey(rawURL)
	c.files[key] = &mediaFile{code: code, contentType: "image/jpeg", width: w, height: h, seed: seedOf(key)}
}

func (c *catalog) addVideo(code, rawURL string, size int64, contentType string) {
	key := mediaKey(rawURL)
	c.files[key] = &mediaFile{code: code, contentType: contentType, video: true, size: size, seed: seedOf(key)}
}

// lookup finds a fixture by shortcode, story id or story owner.
func (c *catalog) lookup(code string) *Fixture {
	if f := c.byCode[code]; f != nil {
		return f
	}
	if f := c.byStoryID[code]; f != nil {
		return f
	}
	return c.byUser[code]
}

// mediaKey identifies a CDN file by host and path; the query (the signature on
// the real CDN) and the scheme do not matter.
func mediaKey(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	return hostOnly(u.Host) + u.EscapedPath()
}

func requestMediaKey(host, escapedPath string) string {
	return hostOnly(host) + escapedPath
}

func seedOf(key string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(strings.ToLower(key)))
	return h.Sum64()
}
