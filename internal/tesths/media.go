package tesths

import (
	"testing"

	"maunium.net/go/mautrix/id"
)

// DownloadMedia downloads mxc content with the client's token through the
// authenticated media API (/_matrix/client/v1/media/download).
func (c *Client) DownloadMedia(t testing.TB, uri id.ContentURIString) []byte {
	t.Helper()
	parsed, err := uri.Parse()
	if err != nil {
		t.Fatalf("tesths: failed to parse media URI %q: %v", uri, err)
	}
	ctx, cancel := requestContext()
	defer cancel()
	data, err := c.DownloadBytes(ctx, parsed)
	if err != nil {
		t.Fatalf("tesths: %s failed to download %s: %v", c.UserID, uri, err)
	}
	return data
}

// Upload uploads data as media and returns its mxc URI.
func (c *Client) Upload(t testing.TB, data []byte, contentType, fileName string) id.ContentURIString {
	t.Helper()
	ctx, cancel := requestContext()
	defer cancel()
	resp, err := c.UploadBytesWithName(ctx, data, contentType, fileName)
	if err != nil {
		t.Fatalf("tesths: %s failed to upload %s: %v", c.UserID, fileName, err)
	}
	return resp.ContentURI.CUString()
}
