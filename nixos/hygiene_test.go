package nixos_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestMiniLibFfmpeg (project mini lib): by default the service has ffmpeg-headless on its PATH
// and network.media.ffmpeg names its bin/ffmpeg; with ffmpeg = null neither (the example's empty
// value, which looks on PATH); a network.media.ffmpeg set in settings wins over the default.
func TestMiniLibFfmpeg(t *testing.T) {
	const fakeFfmpeg = "/nix/store/00000000000000000000000000000000-ffmpeg-headless"
	for name, c := range map[string]struct {
		module     string
		path       []string
		configured string
	}{
		"default":    {acceptedCases["single"], []string{fakeFfmpeg}, fakeFfmpeg + "/bin/ffmpeg"},
		"null":       {acceptedCases["noFfmpeg"], nil, ""},
		"configured": {withMain(`{ services.igbridge.instances.main.settings.network.media.ffmpeg = "/opt/ffmpeg/bin/ffmpeg"; }`), []string{fakeFfmpeg}, "/opt/ffmpeg/bin/ffmpeg"},
	} {
		t.Run(name, func(t *testing.T) {
			res := evalOK(t, "", c.module)
			if p := res.Services["igbridge-main"].Path; !slices.Equal(p, c.path) {
				t.Errorf("path = %q, want %q", p, c.path)
			}
			_, cfg := configOf(t, res, "igbridge-main")
			if g := at(cfg, "network.media.ffmpeg"); g != c.configured {
				t.Errorf("network.media.ffmpeg = %#v, want %q", g, c.configured)
			}
		})
	}
}

// TestMiniLibSecretFilesWithoutExternalPath (project mini lib, externalPath hidden as in older
// nixpkgs): the options fall back to types.path, and the assertions refuse what externalPath
// would (a path literal, a store path) while a plain path is accepted.
func TestMiniLibSecretFilesWithoutExternalPath(t *testing.T) {
	without := []string{"--arg", "withoutExternalPath", "true"}
	evalOK(t, "", acceptedCases["single"], without...)
	for name, c := range map[string]struct{ module, want string }{
		"pathLiteral": {`{ services.igbridge.instances.main.cookiesFile = ./cookies.txt; }`,
			"services.igbridge.instances.main.cookiesFile must be an absolute path outside the Nix store (the store is world-readable), as a string, not "},
		"storePath": {`{ services.igbridge.instances.main.pickleKeyFile = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-pickle_key"; }`,
			"services.igbridge.instances.main.pickleKeyFile must be an absolute path outside the Nix store"},
		"relative": {`{ services.igbridge.instances.main.cookiesFile = "secrets/cookies.txt"; }`,
			"is not of type `null or absolute path'"},
	} {
		t.Run(name, func(t *testing.T) {
			if msg := evalFails(t, "", withMain(c.module), without...); !strings.Contains(msg, c.want) {
				t.Fatalf("error does not contain %q:\n%s", c.want, msg)
			}
		})
	}
}

// TestReadmeExampleEvaluates: the first example of nixos/README.md evaluates against packages
// without pkgs.igbridge (as nixpkgs is), and its package is the repository's package.nix.
func TestReadmeExampleEvaluates(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```nix\n(.*?)```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README.md has no nix example")
	}
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	example := strings.ReplaceAll(string(m[1]), "./igbridge/nixos/", dir+"/")
	if example == string(m[1]) {
		t.Fatal("the example no longer refers to ./igbridge/nixos/; update this test")
	}
	res := evalOK(t, "", "("+example+")", "--arg", "nixpkgsLike", "true")
	pkg := res.Instances["main"].Package
	if !strings.HasSuffix(pkg, "-igbridge-0.1.0") {
		t.Errorf("package = %q, want package.nix's igbridge-0.1.0", pkg)
	}
	if len(res.Packages) != 1 || res.Packages[0] != pkg {
		t.Errorf("environment.systemPackages = %q, want the instance's package %q", res.Packages, pkg)
	}
}

// agplSHA256 is the SHA-256 of the FSF's text of the GNU AGPL version 3
// (https://www.gnu.org/licenses/agpl-3.0.txt).
const agplSHA256 = "0d96a4ff68ad6d4b6f1f30f713b18d5184912ba8dd389f86aa7710db079abcb0"

// TestPackageLicense: the repository's LICENSE is the unmodified AGPL-3.0 text, and package.nix
// declares the same licence.
func TestPackageLicense(t *testing.T) {
	license, err := os.ReadFile("../LICENSE")
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(license); hex.EncodeToString(sum[:]) != agplSHA256 {
		t.Errorf("LICENSE is not the FSF's AGPL-3.0 text (sha256 %x)", sum)
	}
	pkg, err := os.ReadFile("package.nix")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(pkg), "license = lib.licenses.agpl3Plus;") {
		t.Errorf("package.nix does not declare lib.licenses.agpl3Plus")
	}
}
