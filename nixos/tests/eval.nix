# Evaluates module.nix and dev-platform.nix the way NixOS would, without nixpkgs: with the
# project's mini lib (minilib.nix) by default, or nixpkgs' lib when libPath is given, plus the
# NixOS option stubs and fake packages. caseModule is the configuration under test. Failed
# assertions throw like nixos-rebuild does; the result is what the Go tests assert on.
# nixpkgsLike drops pkgs.igbridge (nixpkgs has none; the tests' fake package stands in for an
# overlay's otherwise). withoutExternalPath hides lib.types.externalPath from module.nix, as a
# nixpkgs older than that type would.
{
  libPath ? null,
  caseModule ? { },
  nixpkgsLike ? false,
  withoutExternalPath ? false,
}:

let
  lib = if libPath == null then import ./minilib.nix else import libPath;
  fakePkgs = import ./fake-pkgs.nix { inherit lib; };
  pkgs = if nixpkgsLike then removeAttrs fakePkgs [ "igbridge" ] else fakePkgs;
  igbridgeModule =
    if withoutExternalPath then
      # The same key as the file, so dev-platform.nix's import of module.nix is this one.
      (
        { config, pkgs, ... }:
        import ../module.nix {
          inherit config pkgs;
          lib = lib // {
            types = removeAttrs lib.types [ "externalPath" ];
          };
        }
        // {
          key = toString ../module.nix;
          _file = toString ../module.nix;
        }
      )
    else
      ../module.nix;
  inherit (lib.evalModules {
    modules = [
      ./stubs.nix
      igbridgeModule
      ../dev-platform.nix
      ../dev-platform-matrix.nix
      caseModule
    ];
    specialArgs = { inherit pkgs; };
  }) config;

  failed = map (a: a.message) (builtins.filter (a: !a.assertion) config.assertions);
in
if failed != [ ] then
  throw "\nFailed assertions:\n${lib.concatMapStrings (m: "- ${m}\n") failed}"
else
  {
    inherit (config.systemd) services timers;
    inherit (config.users) users groups;
    inherit (config) warnings;
    inherit (config.environment) systemPackages;
    instances = config.services.igbridge.instances;
  }
