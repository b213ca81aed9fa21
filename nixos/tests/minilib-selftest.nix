# Checks of the mini lib's module system on its own, beyond what the module happens to use today
# (freeformType, priorities, laziness). Evaluates to the list of failed checks, [] when all pass.
# With libPath, the same checks run against nixpkgs' lib, which keeps the expectations honest.
{
  libPath ? null,
}:

let
  lib = if libPath == null then import ./minilib.nix else import libPath;
  inherit (lib)
    mkOption
    mkIf
    mkMerge
    mkDefault
    mkForce
    mkOverride
    types
    ;

  eval = modules: (lib.evalModules { inherit modules; }).config;
  fails = expr: !(builtins.tryEval (builtins.deepSeq expr expr)).success;

  # Modules with the same key (files: the same path) are one module.
  shared = {
    key = "shared";
    options.a = mkOption {
      type = types.int;
      default = 1;
    };
  };

  checks = {
    # Priorities: option default < mkDefault < plain < mkForce; lower numbers win.
    priorities =
      let
        c = eval [
          {
            options = {
              x = mkOption {
                type = types.str;
                default = "default";
              };
              y = mkOption { type = types.str; };
              z = mkOption { type = types.str; };
            };
          }
          {
            x = mkDefault "mkDefault";
            y = mkOverride 900 "900";
            z = mkForce "mkForce";
          }
          {
            y = mkDefault "mkDefault";
            z = "plain";
          }
        ];
      in
      {
        got = [ c.x c.y c.z ];
        want = [ "mkDefault" "900" "mkForce" ];
      };

    # mkIf conditions are evaluated only for the option they define, so a module can define
    # one option from another under mkIf. Lists merge with later modules' definitions first.
    lazyConditions =
      let
        c = eval [
          (
            { config, ... }:
            {
              options.enable = mkOption {
                type = types.bool;
                default = false;
              };
              options.list = mkOption {
                type = types.listOf types.str;
                default = [ ];
              };
              config = mkMerge [
                { enable = true; }
                (mkIf config.enable { list = [ "on" ]; })
                (mkIf (!config.enable) { list = [ "off" ]; })
              ];
            }
          )
          { list = [ "user" ]; }
        ];
      in
      {
        got = c.list;
        want = [
          "user"
          "on"
        ];
      };

    # Shorthand modules may import; definition order follows nixpkgs (later modules first,
    # imports after their importers, reversed).
    definitionOrder = {
      got =
        (eval [
          {
            options.l = mkOption { type = types.listOf types.str; };
          }
          {
            imports = [
              { l = [ "i1" ]; }
              { l = [ "i2" ]; }
            ];
            l = [ "parent" ];
          }
          { l = [ "b" ]; }
        ]).l;
      want = [
        "i2"
        "i1"
        "b"
        "parent"
      ];
    };

    # A module imported twice is one module.
    importsOnce = {
      got =
        (eval [
          {
            imports = [
              shared
              shared
            ];
          }
          { a = 2; }
        ]).a;
      want = 2;
    };

    # attrsOf anything: each leaf keeps its own priority.
    leafPriorities = {
      got =
        (eval [
          {
            options.s = mkOption { type = types.attrsOf types.anything; };
          }
          {
            s = {
              n = {
                keep = mkDefault 1;
                over = mkDefault 1;
              };
            };
          }
          { s.n.over = 2; }
        ]).s;
      want = {
        n = {
          keep = 1;
          over = 2;
        };
      };
    };

    # Submodules see their attribute name.
    submoduleName = {
      got =
        (eval [
          {
            options.items = mkOption {
              type = types.attrsOf (
                types.submodule (
                  { name, ... }:
                  {
                    options.label = mkOption {
                      type = types.str;
                      default = "item ${name}";
                    };
                  }
                )
              );
            };
          }
          { items.foo = { }; }
        ]).items.foo.label;
      want = "item foo";
    };

    # freeformType takes what is not declared; declared options keep their types.
    freeform =
      let
        c = eval [
          {
            options.f = mkOption {
              type = types.submodule {
                freeformType = types.attrsOf types.anything;
                options.port = mkOption {
                  type = types.port;
                  default = 80;
                };
              };
            };
          }
          {
            f = {
              extra.deep = true;
            };
          }
        ];
      in
      {
        got = c.f;
        want = {
          port = 80;
          extra.deep = true;
        };
      };

    errors = {
      got = map fails [
        (eval [ { undeclared = 1; } ]).undeclared
        (eval [
          shared
          { a = "text"; }
        ]).a
        (eval [
          { options.n = mkOption { type = types.nullOr types.int; }; }
          { n = null; }
          { n = 1; }
        ]).n
        (eval [
          { options.s = mkOption { type = types.str; }; }
          { s = "a"; }
          { s = "b"; }
        ]).s
        (eval [
          {
            options.f = mkOption {
              type = types.submodule { options.x = mkOption { type = types.int; }; };
            };
          }
          { f.y = 1; }
        ]).f
        (eval [ { options.u = mkOption { type = types.int; }; } ]).u
      ];
      want = [
        true
        true
        true
        true
        true
        true
      ];
    };
  };
in
builtins.filter (x: x != null) (
  map (
    name:
    let
      c = checks.${name};
    in
    if c.got == c.want then null else "${name}: got ${builtins.toJSON c.got}, want ${builtins.toJSON c.want}"
  ) (builtins.attrNames checks)
)
