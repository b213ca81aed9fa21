package tesths

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/id"
)

// registerPath is Dendrite's Synapse-compatible shared-secret admin API.
const registerPath = "/_synapse/admin/v1/register"

// Password returns the password RegisterUser gives localpart (Dendrite wants
// at least 8 characters).
func Password(localpart string) string {
	return localpart + "-test-password"
}

// RegisterUser creates a user through the shared-secret admin API and
// returns a logged-in client whose /sync loop is already running.
func (hs *Homeserver) RegisterUser(t testing.TB, localpart string) *Client {
	t.Helper()
	ctx, cancel := requestContext()
	defer cancel()
	reg, err := hs.register(ctx, localpart, Password(localpart), false)
	if err != nil {
		t.Fatalf("tesths: failed to register %s: %v", localpart, err)
	}
	return newClient(t, hs, reg.UserID, reg.DeviceID, reg.AccessToken)
}

// registration is the admin API's answer.
type registration struct {
	UserID      id.UserID   `json:"user_id"`
	AccessToken string      `json:"access_token"`
	DeviceID    id.DeviceID `json:"device_id"`
}

func (hs *Homeserver) register(ctx context.Context, localpart, password string, admin bool) (*registration, error) {
	var nonce struct {
		Nonce string `json:"nonce"`
	}
	if err := hs.adminCall(ctx, http.MethodGet, nil, &nonce); err != nil {
		return nil, fmt.Errorf("failed to get registration nonce: %w", err)
	}
	role := "notadmin"
	if admin {
		role = "admin"
	}
	mac := hmac.New(sha1.New, []byte(SharedSecret))
	for i, part := range []string{nonce.Nonce, localpart, password, role} {
		if i > 0 {
			mac.Write([]byte{0})
		}
		mac.Write([]byte(part))
	}
	req := map[string]any{
		"nonce":    nonce.Nonce,
		"username": localpart,
		"password": password,
		"admin":    admin,
		"mac":      hex.EncodeToString(mac.Sum(nil)),
	}
	var reg registration
	if err := hs.adminCall(ctx, http.MethodPost, req, &reg); err != nil {
		return nil, err
	}
	if reg.UserID == "" || reg.AccessToken == "" || reg.DeviceID == "" {
		return nil, fmt.Errorf("incomplete registration answer: %+v", reg)
	}
	return &reg, nil
}

func (hs *Homeserver) adminCall(ctx context.Context, method string, body, out any) error {
	var reader io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("failed to encode request: %w", err)
		}
		reader = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, hs.URL+registerPath, reader)
	if err != nil {
		return fmt.Errorf("failed to build request: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("failed to call %s %s: %w", method, registerPath, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("failed to read answer of %s %s: %w", method, registerPath, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: HTTP %d: %s", method, registerPath, resp.StatusCode, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("failed to decode answer of %s %s: %w", method, registerPath, err)
	}
	return nil
}

// LoginUser logs an already registered user in again with the password
// RegisterUser gave it, returning a client on a new device (for tests with
// several devices of one user).
func (hs *Homeserver) LoginUser(t testing.TB, localpart string) *Client {
	t.Helper()
	cli, err := mautrix.NewClient(hs.URL, "", "")
	if err != nil {
		t.Fatalf("tesths: failed to create client: %v", err)
	}
	ctx, cancel := requestContext()
	defer cancel()
	resp, err := cli.Login(ctx, &mautrix.ReqLogin{
		Type:       mautrix.AuthTypePassword,
		Identifier: mautrix.UserIdentifier{Type: mautrix.IdentifierTypeUser, User: localpart},
		Password:   Password(localpart),
	})
	if err != nil {
		t.Fatalf("tesths: failed to log %s in: %v", localpart, err)
	}
	return newClient(t, hs, resp.UserID, resp.DeviceID, resp.AccessToken)
}
