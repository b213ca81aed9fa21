# igbridge as a Nix package, for `services.igbridge.instances.<name>.package`:
#   package = pkgs.callPackage ./nixos/package.nix { };
# Built like everywhere else in the project: cgo on and the goolm tag (bridgev2's end-to-bridge
# encryption needs cgo; goolm is the pure-Go olm, so no libolm).
{ lib, buildGoModule }:

buildGoModule {
  pname = "igbridge";
  version = "0.1.0";

  src = lib.cleanSource ../.;

  # The hash of `go mod vendor` for go.mod/go.sum; nixos/package_test.go checks it is current.
  vendorHash = "sha256-jJq6XAWHPbEWUkzShlDH3LUBKWxEEEkdbiOltQonvcs=";

  subPackages = [ "cmd/igbridge" ];
  tags = [ "goolm" ];
  env.CGO_ENABLED = "1";
  ldflags = [ "-s" "-w" "-X main.Tag=v0.1.0" ];

  # The tests start Dendrite, PostgreSQL and yt-dlp; they run in the project's CI instead.
  doCheck = false;

  meta = {
    description = "Matrix appservice that answers Instagram links with the post's media";
    mainProgram = "igbridge";
    license = lib.licenses.agpl3Plus;
    platforms = lib.platforms.linux;
  };
}
