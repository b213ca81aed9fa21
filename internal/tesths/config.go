package tesths

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// SharedSecret is the registration shared secret the test homeserver accepts.
const SharedSecret = "test-shared-secret"

// ServerName is the server name of every test homeserver.
const ServerName = "localhost"

// DefaultMaxUploadBytes is media_api.max_file_size_bytes when Options leaves it 0.
const DefaultMaxUploadBytes = 10 << 20

// configTemplate follows shared/design/dendrite.example.yaml. Values in
// quotes are filled in by writeConfig; every component needs its own SQLite
// file, and federation, stats and key perspectives are off so that nothing
// leaves loopback.
const configTemplate = `version: 2
global:
  server_name: localhost
  private_key: "@DATA@/matrix_key.pem"
  key_validity_period: 168h0m0s
  disable_federation: true
  trusted_third_party_id_servers: []
  presence:
    enable_inbound: false
    enable_outbound: false
  report_stats:
    enabled: false
  cache:
    max_size_estimated: 64mb
    max_age: 1h
  jetstream:
    in_memory: true
    storage_path: "@DATA@"
    topic_prefix: Dendrite
app_service_api:
  disable_tls_validation: true
  legacy_auth: false
  legacy_paths: false
  config_files: @AS_FILES@
client_api:
  registration_disabled: true
  guests_disabled: true
  registration_shared_secret: "@SECRET@"
  rate_limiting:
    enabled: false
    threshold: 20
    cooloff_ms: 500
federation_api:
  database:
    connection_string: "file:@DATA@/federationapi.db"
  key_perspectives: []
  send_max_retries: 1
key_server:
  database:
    connection_string: "file:@DATA@/keyserver.db"
media_api:
  base_path: "@DATA@/media"
  max_file_size_bytes: @MAX_UPLOAD@
  dynamic_thumbnails: false
  database:
    connection_string: "file:@DATA@/mediaapi.db"
mscs:
  mscs: []
  database:
    connection_string: "file:@DATA@/mscs.db"
relay_api:
  database:
    connection_string: "file:@DATA@/relayapi.db"
room_server:
  database:
    connection_string: "file:@DATA@/roomserver.db"
sync_api:
  search:
    enabled: false
  database:
    connection_string: "file:@DATA@/syncapi.db"
user_api:
  bcrypt_cost: 4
  account_database:
    connection_string: "file:@DATA@/userapi.db"
tracing:
  enabled: false
logging:
  - type: std
    level: info
`

// writeKey writes a fresh ed25519 signing key in the PEM form Dendrite reads,
// so that no generate-keys binary is needed.
func writeKey(path string) error {
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return fmt.Errorf("failed to generate signing key: %w", err)
	}
	block := &pem.Block{
		Type:    "MATRIX PRIVATE KEY",
		Headers: map[string]string{"Key-ID": "ed25519:test"},
		Bytes:   seed,
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return fmt.Errorf("failed to write signing key: %w", err)
	}
	return nil
}

// writeConfig writes dendrite.yaml (and appservice-N.yaml for each
// registration in opts) into dataDir and returns the config path.
func writeConfig(dataDir string, opts Options) (string, error) {
	if strings.ContainsAny(dataDir, "\"\\\n") {
		return "", fmt.Errorf("data dir %q cannot be quoted in YAML", dataDir)
	}
	var asPaths []string
	for i, registration := range opts.Registrations {
		asPath := filepath.Join(dataDir, fmt.Sprintf("appservice-%d.yaml", i))
		if err := os.WriteFile(asPath, registration, 0o600); err != nil {
			return "", fmt.Errorf("failed to write appservice registration: %w", err)
		}
		asPaths = append(asPaths, `"`+asPath+`"`)
	}
	asFiles := "[" + strings.Join(asPaths, ", ") + "]"
	maxUpload := opts.MaxUploadBytes
	if maxUpload <= 0 {
		maxUpload = DefaultMaxUploadBytes
	}
	cfg := strings.NewReplacer(
		"@DATA@", dataDir,
		"@AS_FILES@", asFiles,
		"@SECRET@", SharedSecret,
		"@MAX_UPLOAD@", strconv.FormatInt(maxUpload, 10),
	).Replace(configTemplate)
	path := filepath.Join(dataDir, "dendrite.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		return "", fmt.Errorf("failed to write dendrite config: %w", err)
	}
	return path, nil
}
