package nixos_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestPackageVendorHash: package.nix's vendorHash is the NAR hash of `go mod vendor` for the
// current go.mod and go.sum, as buildGoModule computes it, so the package builds after a
// dependency change only once this test says the new hash.
func TestPackageVendorHash(t *testing.T) {
	nixHash, err := exec.LookPath("nix-hash")
	if err != nil {
		t.Fatalf("nix-hash is missing (Debian package nix-bin); run scripts/setup.sh: %v", err)
	}
	pkg, err := os.ReadFile("package.nix")
	if err != nil {
		t.Fatal(err)
	}
	match := regexp.MustCompile(`vendorHash = "([^"]+)"`).FindSubmatch(pkg)
	if match == nil {
		t.Fatal("package.nix has no vendorHash")
	}
	dir := t.TempDir()
	for _, name := range []string{"go.mod", "go.sum"} {
		data, err := os.ReadFile(filepath.Join("..", name))
		if err != nil {
			t.Fatal(err)
		}
		if err = os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// go mod vendor only vendors packages the module imports, so it needs the sources.
	archive := exec.Command("sh", "-c", "git -C .. archive HEAD | tar -x -C "+dir)
	if out, err := archive.CombinedOutput(); err != nil {
		t.Fatalf("failed to copy the sources: %v\n%s", err, out)
	}
	vendor := exec.Command("go", "mod", "vendor")
	vendor.Dir = dir
	vendor.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	if out, err := vendor.CombinedOutput(); err != nil {
		t.Fatalf("go mod vendor failed: %v\n%s", err, out)
	}
	out, err := exec.Command(nixHash, "--type", "sha256", "--sri", filepath.Join(dir, "vendor")).Output()
	if err != nil {
		// Debian's Nix 2.8 nix-hash has no --sri; nix hash path prints the same SRI form.
		out, err = exec.Command("nix", "--extra-experimental-features", "nix-command", "hash", "path", filepath.Join(dir, "vendor")).Output()
		if err != nil {
			t.Fatalf("failed to hash the vendor directory: %v", err)
		}
	}
	if got := strings.TrimSpace(string(out)); got != string(match[1]) {
		t.Fatalf("package.nix vendorHash is %s, but go.mod/go.sum vendor to %s: update it", match[1], got)
	}
}

// TestPackageBuildsLikeCI: the package uses the same build settings as the Makefile.
func TestPackageBuildsLikeCI(t *testing.T) {
	pkg, err := os.ReadFile("package.nix")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`tags = [ "goolm" ];`, `env.CGO_ENABLED = "1";`, `subPackages = [ "cmd/igbridge" ];`} {
		if !strings.Contains(string(pkg), want) {
			t.Errorf("package.nix lacks %s", want)
		}
	}
}
