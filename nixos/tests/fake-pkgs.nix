# Fake packages for evaluating the module without nixpkgs. A package is only a name and a store
# path of hash 000…; the tests materialise the few whose files the units run. Files the module
# writes (writeText, writeShellScript, formats.yaml's generate) become real store files through
# builtins.toFile, so the tests can read them back (with --read-write-mode).
{ lib }:

let
  fake =
    name: extra:
    {
      type = "derivation";
      inherit name;
      outPath = "${builtins.storeDir}/00000000000000000000000000000000-${name}";
      meta.mainProgram = name;
    }
    // extra;

  bash = fake "bash" { };
  python3Packages = {
    yt-dlp = fake "yt-dlp" { };
  };
in
rec {
  inherit bash;
  igbridge = fake "igbridge" { };
  curl = fake "curl" { };
  ffmpeg-headless = fake "ffmpeg-headless" { };
  # Enough of callPackage and buildGoModule for package.nix: the result is a fake package named
  # like the real one; the build inputs are never looked at.
  callPackage =
    fn: overrides:
    let
      f = if builtins.isFunction fn then fn else import fn;
    in
    f (builtins.intersectAttrs (builtins.functionArgs f) ({ inherit lib buildGoModule; } // overrides));
  buildGoModule = args: fake "${args.pname}-${args.version}" { inherit (args) meta; };
  systemd = fake "systemd" { meta.mainProgram = "systemctl"; };
  # The environment's name lists the packages, so tests see what the module asked for.
  python3 = fake "python3" {
    pkgs = python3Packages;
    withPackages =
      f: fake "python3-env-${lib.concatMapStringsSep "-" (p: p.name) (f python3Packages)}" { };
  };

  runtimeShell = "${bash}/bin/bash";
  writeText = name: text: builtins.toFile name text;
  writeShellScript = name: text: builtins.toFile name "#!${runtimeShell}\n${text}";

  # JSON is YAML; the real generate runs remarshal in a build, which needs nixpkgs.
  formats.yaml =
    { }:
    {
      type = lib.types.attrsOf lib.types.anything;
      generate = name: value: builtins.toFile name (builtins.toJSON value);
    };
}
