# services.dev-platform.igbridge: the platform's igbridge, wired to the platform's Matrix server
# (services.dev-platform.matrix.{serverName,port}; dev-platform-matrix.nix declares them for a
# platform that does not). Everything else is services.igbridge.instances.main.
{ config, lib, ... }:

let
  inherit (lib) mkOption mkEnableOption mkIf mkOverride types;
  cfg = config.services.dev-platform.igbridge;
  matrix = config.services.dev-platform.matrix;

  # Above the low-level module's example defaults (mkDefault, 1000), below a plain definition
  # (100), so services.igbridge.instances.main.settings can still override them.
  platformDefault = mkOverride 900;
in
{
  imports = [ ./module.nix ];

  options.services.dev-platform.igbridge = {
    enable = mkEnableOption "igbridge (Instagram links for Matrix) on the platform's homeserver";

    port = mkOption {
      type = types.port;
      default = 29330;
      description = "Port of the bridge's appservice listener on 127.0.0.1.";
    };

    asTokenFile = mkOption {
      type = types.str;
      example = "/run/secrets/igbridge/as_token";
      description = "File holding the appservice token (as_token), outside the Nix store.";
    };

    hsTokenFile = mkOption {
      type = types.str;
      example = "/run/secrets/igbridge/hs_token";
      description = "File holding the homeserver token (hs_token), outside the Nix store.";
    };

    cookiesFile = mkOption {
      type = types.nullOr types.str;
      default = null;
      description = "Instagram cookies file (Netscape format), or null to fetch logged out.";
    };

    homeserverUnit = mkOption {
      type = types.str;
      default = "conduwuit.service";
      description = "The homeserver's unit; the bridge starts after it.";
    };
  };

  config = mkIf cfg.enable {
    services.igbridge.instances.main = {
      enable = true;
      inherit (cfg) asTokenFile hsTokenFile;
      cookiesFile = mkIf (cfg.cookiesFile != null) cfg.cookiesFile;
      serviceDependencies = [ cfg.homeserverUnit ];
      settings = {
        homeserver = {
          # conduwuit listens on IPv4 only: 127.0.0.1, never localhost.
          address = platformDefault "http://127.0.0.1:${toString matrix.port}";
          domain = platformDefault matrix.serverName;
        };
        appservice = {
          hostname = platformDefault "127.0.0.1";
          port = platformDefault cfg.port;
        };
      };
    };
  };
}
