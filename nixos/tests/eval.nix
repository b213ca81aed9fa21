# Evaluates module.nix and dev-platform.nix the way NixOS would, without nixpkgs: with the
# project's mini lib (minilib.nix) by default, or nixpkgs' lib when libPath is given, plus the
# NixOS option stubs and fake packages. caseModule is the configuration under test. Failed
# assertions throw like nixos-rebuild does; the result is what the Go tests assert on.
{
  libPath ? null,
  caseModule ? { },
}:

let
  lib = if libPath == null then import ./minilib.nix else import libPath;
  pkgs = import ./fake-pkgs.nix { inherit lib; };
  inherit (lib.evalModules {
    modules = [
      ./stubs.nix
      ../module.nix
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
    instances = config.services.igbridge.instances;
  }
