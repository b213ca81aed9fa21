# Declarations of the NixOS options module.nix defines, standing in for nixpkgs/nixos (not
# available on CI). They follow NixOS's types closely enough for the module's own logic: unknown
# unit attributes are errors, list-valued unit settings from several definitions concatenate,
# other unit settings must agree unless one has a higher priority (mkForce).
{ lib, pkgs, ... }:

let
  inherit (lib) mkOption types;

  # NixOS's "systemd option": lists concatenate, anything else must be equal.
  unitOption = lib.mkOptionType {
    name = "systemd option";
    merge =
      loc: defs:
      if builtins.any (d: builtins.isList d.value) defs then
        builtins.concatMap (d: if builtins.isList d.value then d.value else [ d.value ]) defs
      else
        lib.mergeEqualOption loc defs;
  };

  listOfUnits = mkOption {
    type = types.listOf types.str;
    default = [ ];
  };

  commonUnitOptions = {
    description = mkOption {
      type = types.str;
      default = "";
    };
    wantedBy = listOfUnits;
    requiredBy = listOfUnits;
    wants = listOfUnits;
    requires = listOfUnits;
    after = listOfUnits;
    before = listOfUnits;
    partOf = listOfUnits;
    bindsTo = listOfUnits;
    conflicts = listOfUnits;
    unitConfig = mkOption {
      type = types.attrsOf unitOption;
      default = { };
    };
    restartTriggers = mkOption {
      type = types.listOf types.unspecified;
      default = [ ];
    };
    startLimitBurst = mkOption {
      type = types.nullOr types.int;
      default = null;
    };
    startLimitIntervalSec = mkOption {
      type = types.nullOr types.int;
      default = null;
    };
  };

  serviceModule = {
    options = commonUnitOptions // {
      serviceConfig = mkOption {
        type = types.attrsOf unitOption;
        default = { };
      };
      environment = mkOption {
        type = types.attrsOf (types.nullOr types.str);
        default = { };
      };
      path = mkOption {
        type = types.listOf types.package;
        default = [ ];
      };
    };
  };

  timerModule = {
    options = commonUnitOptions // {
      timerConfig = mkOption {
        type = types.attrsOf unitOption;
        default = { };
      };
    };
  };

  userModule = {
    options = {
      isSystemUser = mkOption {
        type = types.bool;
        default = false;
      };
      isNormalUser = mkOption {
        type = types.bool;
        default = false;
      };
      group = mkOption {
        type = types.str;
        default = "";
      };
      extraGroups = mkOption {
        type = types.listOf types.str;
        default = [ ];
      };
      description = mkOption {
        type = types.str;
        default = "";
      };
      home = mkOption {
        type = types.str;
        default = "/var/empty";
      };
    };
  };

  groupModule = {
    options = {
      gid = mkOption {
        type = types.nullOr types.int;
        default = null;
      };
      members = mkOption {
        type = types.listOf types.str;
        default = [ ];
      };
    };
  };
in
{
  options = {
    assertions = mkOption {
      type = types.listOf types.unspecified;
      default = [ ];
    };
    warnings = mkOption {
      type = types.listOf types.str;
      default = [ ];
    };
    systemd.package = mkOption {
      type = types.package;
      default = pkgs.systemd;
    };
    systemd.services = mkOption {
      type = types.attrsOf (types.submodule serviceModule);
      default = { };
    };
    systemd.timers = mkOption {
      type = types.attrsOf (types.submodule timerModule);
      default = { };
    };
    users.users = mkOption {
      type = types.attrsOf (types.submodule userModule);
      default = { };
    };
    users.groups = mkOption {
      type = types.attrsOf (types.submodule groupModule);
      default = { };
    };
    environment.systemPackages = mkOption {
      type = types.listOf types.package;
      default = [ ];
    };
    # The homeserver of the README's example; its options are not what the tests look at.
    services.conduwuit = mkOption {
      type = types.attrsOf types.anything;
      default = { };
    };
  };
}
