package connector

import (
	"context"
	"errors"
	"fmt"
	"io"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/bridgev2"
	"maunium.net/go/mautrix/bridgev2/matrix"
	"maunium.net/go/mautrix/crypto/attachment"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// errUploadEnded stops a download whose upload has ended (failed, or took what it announced).
var errUploadEnded = errors.New("the upload has ended")

// directUploader returns the intent that uploads size bytes straight to the homeserver, or nil
// where bridgev2's UploadMediaStream should: it copies a file of upload_file_threshold bytes or
// more into a temporary file first, so a download and its upload run one after the other.
// Smaller files, and files of unknown size, stay with bridgev2 (buffered, retried on failure);
// so do async uploads.
func (ic *Connector) directUploader(uploader bridgev2.MatrixAPI, size int64) *matrix.ASIntent {
	as, ok := uploader.(*matrix.ASIntent)
	if !ok || size <= 0 || size < ic.mc.Config.Matrix.UploadFileThreshold || ic.mc.Config.Homeserver.AsyncMedia {
		return nil
	}
	return as
}

// streamDirect uploads what write writes while it writes it: the download streams into the
// upload through a pipe. A failed download fails the upload (the homeserver keeps nothing) and
// is what it returns; a failed upload stops the download.
func (ic *Connector) streamDirect(ctx context.Context, as *matrix.ASIntent, roomID id.RoomID, res *uploaded, size int64, write func(io.Writer) (int64, error)) error {
	pr, pw := io.Pipe()
	type result struct {
		n   int64
		err error
	}
	written := make(chan result, 1)
	go func() {
		n, err := write(pw)
		pw.CloseWithError(err) // nil: the upload reads to the end
		written <- result{n, err}
	}()
	err := ic.uploadDirect(ctx, as, roomID, res, size, pr)
	pr.CloseWithError(errUploadEnded)
	w := <-written
	res.Size = w.n
	if w.err != nil && !errors.Is(w.err, errUploadEnded) {
		return w.err
	}
	return err
}

// uploadDirect uploads size bytes from body, encrypted on the way in encrypted rooms, and fills
// in res's URL or File. A body that can seek (a local file) is sent again when the request is
// retried.
func (ic *Connector) uploadDirect(ctx context.Context, as *matrix.ASIntent, roomID id.RoomID, res *uploaded, size int64, body io.Reader) error {
	encrypted, err := ic.mc.StateStore.IsEncrypted(ctx, roomID)
	if err != nil {
		return fmt.Errorf("failed to check if the room is encrypted: %w", err)
	}
	req := mautrix.ReqUploadMedia{Content: body, ContentLength: size, ContentType: res.MimeType, FileName: res.FileName}
	var file *event.EncryptedFileInfo
	var encrypting io.Closer
	if encrypted {
		// AES-CTR keeps the size; the hash is complete once the stream is closed.
		file = &event.EncryptedFileInfo{EncryptedFile: *attachment.NewEncryptedFile()}
		stream := file.EncryptStream(body)
		encrypting = stream
		req.Content, req.ContentType, req.FileName = stream, "application/octet-stream", ""
	}
	resp, err := as.Matrix.UploadMedia(ctx, req)
	if err != nil {
		return err
	}
	res.Size = size
	if file == nil {
		res.URL = resp.ContentURI.CUString()
		return nil
	}
	if err = encrypting.Close(); err != nil {
		return fmt.Errorf("failed to finish encrypting media: %w", err)
	}
	file.URL = resp.ContentURI.CUString()
	res.File = file
	return nil
}
