# A default inside settings that reads a sibling key of the same attribute set recurses forever
# in nixpkgs' module system (module.nix derives appservice.address outside settings for this
# reason). The mini lib must fail the same way, or CI would accept what NixOS rejects.
{
  libPath ? null,
}:

let
  lib = if libPath == null then import ./minilib.nix else import libPath;
  inherit (lib) mkOption mkDefault types;
in
(lib.evalModules {
  modules = [
    (
      { config, ... }:
      {
        options.settings = mkOption { type = types.attrsOf types.anything; };
        config.settings.appservice = {
          port = mkDefault 29330;
          address = mkDefault "http://127.0.0.1:${toString config.settings.appservice.port}";
        };
      }
    )
  ];
}).config.settings.appservice.address
