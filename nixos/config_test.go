package nixos_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
	"maunium.net/go/mautrix/bridgev2/bridgeconfig"
	"maunium.net/go/mautrix/bridgev2/matrix/mxmain"

	"github.com/igbridge/igbridge/pkg/connector"
)

// TestGeneratedConfigLoadsInTheBridge reads the config the module generates the way the bridge
// does under -n (no example merged in: the file must be complete by itself), applies the unit's
// environment with mxmain's own code, and runs the bridge's checks: the secrets arrive from the
// credential files under the right keys, and the database, network and logging sections pass.
func TestGeneratedConfigLoadsInTheBridge(t *testing.T) {
	for _, name := range []string{"single", "settingsMerge"} {
		t.Run(name, func(t *testing.T) {
			res := evalOK(t, "", acceptedCases[name])
			svc := res.Services["igbridge-main"]
			configPath, _ := configOf(t, res, "igbridge-main")

			var cfg bridgeconfig.Config
			if err := yaml.Unmarshal(storeFile(t, configPath), &cfg); err != nil {
				t.Fatalf("the bridge cannot read the config: %v", err)
			}
			var network connector.Config
			if err := cfg.Network.Decode(&network); err != nil {
				t.Fatalf("the network section: %v", err)
			}

			// The unit's environment, with the credentials directory (%d) and the state
			// directory in temporary places, and nothing else with the prefix.
			creds, state := t.TempDir(), t.TempDir()
			secrets := map[string]string{"as_token": "as-secret\n", "hs_token": "hs-secret\n", "pickle_key": "pickle-secret\n"}
			for file, value := range secrets {
				writeFile(t, filepath.Join(creds, file), value)
				writeFile(t, filepath.Join(state, file), value)
			}
			clearEnvPrefix(t, cfg.EnvConfigPrefix)
			for k, v := range svc.Environment {
				v := strings.ReplaceAll(*v, "%d", creds)
				t.Setenv(k, strings.ReplaceAll(v, "/var/lib/igbridge-main", state))
			}
			if err := mxmain.UpdateConfigFromEnv(&cfg, &network, cfg.EnvConfigPrefix); err != nil {
				t.Fatalf("the unit's environment: %v", err)
			}
			if cfg.AppService.ASToken != "as-secret" || cfg.AppService.HSToken != "hs-secret" ||
				cfg.Encryption.PickleKey != "pickle-secret" {
				t.Errorf("secrets from the environment: as_token %q, hs_token %q, pickle_key %q",
					cfg.AppService.ASToken, cfg.AppService.HSToken, cfg.Encryption.PickleKey)
			}

			if err := connector.CheckDatabaseConfig(cfg.Database); err != nil {
				t.Error(err)
			}
			if err := network.Validate(); err != nil {
				t.Errorf("network section: %v", err)
			}
			if _, err := cfg.Logging.Compile(); err != nil {
				t.Errorf("logging section: %v", err)
			}
			if !cfg.Bridge.Permissions.IsConfigured() {
				t.Errorf("bridge.permissions counts as not configured: %v", cfg.Bridge.Permissions)
			}
			if !strings.Contains(cfg.AppService.FormatUsername("1234567890"), "1234567890") {
				t.Errorf("username_template %q lacks the placeholder", cfg.AppService.UsernameTemplate)
			}
			if cfg.AppService.Address != "http://"+cfg.AppService.Hostname+":"+strconv.Itoa(int(cfg.AppService.Port)) {
				t.Errorf("appservice.address %q does not match the listener", cfg.AppService.Address)
			}
		})
	}
}

// clearEnvPrefix removes the variables mxmain would take as config keys (a stray one, such as
// IGBRIDGE_NIXPKGS_LIB, stops the bridge with "… not found"), restoring them afterwards.
func clearEnvPrefix(t *testing.T, prefix string) {
	t.Helper()
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, prefix) {
			if err := os.Unsetenv(k); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = os.Setenv(k, v) })
		}
	}
}
