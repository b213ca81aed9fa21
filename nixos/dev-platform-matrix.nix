# A minimal stand-in for the dev platform's Matrix settings, which dev-platform.nix reads.
# Import it only on a host whose platform modules do not declare these options already.
{ lib, ... }:

let
  inherit (lib) mkOption types;
in
{
  options.services.dev-platform.matrix = {
    serverName = mkOption {
      type = types.str;
      example = "example.org";
      description = "The homeserver's server_name: the domain in the platform's Matrix IDs.";
    };

    port = mkOption {
      type = types.port;
      default = 6167;
      description = "Port the homeserver (conduwuit) listens on, on 127.0.0.1 (IPv4 only).";
    };
  };
}
