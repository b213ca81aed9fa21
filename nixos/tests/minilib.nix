# The project's mini lib: a small module system written for igbridge's CI, NOT nixpkgs' lib.
#
# nixpkgs (and so its lib) is not available on CI, so the module is evaluated with this instead.
# It implements what module.nix, dev-platform.nix and the test stubs use, with nixpkgs' semantics
# where they matter: imports (deduplicated by path), options-directed evaluation, mkIf / mkMerge
# pushed down lazily (conditions are only evaluated for the option they define), priorities
# (option default 1500, mkDefault 1000, plain 100, mkForce 50), freeformType at a module's top,
# unknown-option errors, read-only options, and the types listed under `types`. Not supported:
# declaring one option in two modules, mkOrder/mkBefore/mkAfter, _module.args, option docs.
# A helper the modules start using must be added here; until then evaluation fails with
# "attribute '…' missing". With IGBRIDGE_NIXPKGS_LIB set, the tests cross-check against nixpkgs' lib.
let
  inherit (builtins)
    all
    any
    attrNames
    concatLists
    concatMap
    concatStringsSep
    elem
    elemAt
    filter
    foldl'
    functionArgs
    genList
    genericClosure
    head
    intersectAttrs
    isAttrs
    isBool
    isFunction
    isInt
    isList
    isPath
    isString
    length
    listToAttrs
    mapAttrs
    match
    replaceStrings
    stringLength
    substring
    tail
    toJSON
    typeOf
    zipAttrsWith
    ;

  # ---- lists, attribute sets, strings ----

  imap1 = f: list: genList (i: f (i + 1) (elemAt list i)) (length list);
  last = list: elemAt list (length list - 1);
  reverseList =
    list:
    let
      n = length list;
    in
    genList (i: elemAt list (n - i - 1)) n;
  toList = x: if isList x then x else [ x ];
  optional = cond: x: if cond then [ x ] else [ ];
  optionals = cond: list: if cond then list else [ ];

  nameValuePair = name: value: { inherit name value; };
  mapAttrs' = f: set: listToAttrs (map (n: f n set.${n}) (attrNames set));
  mapAttrsToList = f: set: map (n: f n set.${n}) (attrNames set);
  filterAttrs =
    pred: set:
    listToAttrs (
      concatMap (n: if pred n set.${n} then [ (nameValuePair n set.${n}) ] else [ ]) (attrNames set)
    );
  optionalAttrs = cond: set: if cond then set else { };
  genAttrs = names: f: listToAttrs (map (n: nameValuePair n (f n)) names);
  attrByPath =
    path: default: set:
    if path == [ ] then
      set
    else if isAttrs set && set ? ${head path} then
      attrByPath (tail path) default set.${head path}
    else
      default;
  setAttrByPath =
    path: value: if path == [ ] then value else { ${head path} = setAttrByPath (tail path) value; };
  recursiveUpdateUntil =
    pred: lhs: rhs:
    let
      f =
        attrPath:
        zipAttrsWith (
          n: values:
          let
            here = attrPath ++ [ n ];
          in
          if length values == 1 || pred here (elemAt values 1) (head values) then
            head values
          else
            f here values
        );
    in
    f [ ] [
      rhs
      lhs
    ];
  recursiveUpdate = recursiveUpdateUntil (path: lhs: rhs: !(isAttrs lhs && isAttrs rhs));

  escapeRegex = replaceStrings
    [ "\\" "." "+" "*" "?" "(" ")" "|" "[" "]" "{" "}" "^" "$" ]
    [ "\\\\" "\\." "\\+" "\\*" "\\?" "\\(" "\\)" "\\|" "\\[" "\\]" "\\{" "\\}" "\\^" "\\$" ];
  hasPrefix = pref: str: substring 0 (stringLength pref) str == pref;
  hasSuffix =
    suf: str:
    let
      ls = stringLength str;
      lf = stringLength suf;
    in
    lf <= ls && substring (ls - lf) lf str == suf;
  hasInfix = infix: str: match ".*${escapeRegex infix}.*" str != null;
  removeSuffix =
    suf: str:
    if hasSuffix suf str then substring 0 (stringLength str - stringLength suf) str else str;
  splitString = sep: str: filter isString (builtins.split (escapeRegex sep) str);
  optionalString = cond: str: if cond then str else "";
  concatMapStrings = f: list: concatStringsSep "" (map f list);
  concatMapStringsSep = sep: f: list: concatStringsSep sep (map f list);
  # Like nixpkgs: quoted only when needed.
  escapeShellArg =
    arg:
    let
      s = toString arg;
    in
    if match "[[:alnum:],._+:@%/-]+" s == null then
      "'${replaceStrings [ "'" ] [ "'\\''" ] s}'"
    else
      s;
  escapeShellArgs = concatMapStringsSep " " escapeShellArg;

  isStringLike = x: isString x || isPath x || x ? outPath || x ? __toString;
  isDerivation = x: isAttrs x && x.type or null == "derivation";
  getExe' = pkg: exe: "${pkg}/bin/${exe}";
  getExe =
    pkg:
    getExe' pkg (pkg.meta.mainProgram or (throw "getExe: ${pkg.name or "package"} has no meta.mainProgram"));
  importJSON = path: builtins.fromJSON (builtins.readFile path);

  # ---- properties ----

  mkIf = condition: content: {
    _type = "if";
    inherit condition content;
  };
  mkMerge = contents: {
    _type = "merge";
    inherit contents;
  };
  mkOverride = priority: content: {
    _type = "override";
    inherit priority content;
  };
  mkOptionDefault = mkOverride 1500;
  mkDefault = mkOverride 1000;
  mkForce = mkOverride 50;
  defaultPriority = 100;

  # Splits a definition of an attribute set into plain attribute sets whose values carry the
  # properties; the mkIf condition is not evaluated here (laziness NixOS modules rely on).
  pushDown =
    cfg:
    if cfg._type or "" == "merge" then
      concatMap pushDown cfg.contents
    else if cfg._type or "" == "if" then
      map (mapAttrs (_: mkIf cfg.condition)) (pushDown cfg.content)
    else if cfg._type or "" == "override" then
      map (mapAttrs (_: mkOverride cfg.priority)) (pushDown cfg.content)
    else
      [ cfg ];

  # The values one definition of an option contributes (mkMerge expanded, false mkIf dropped).
  discharge =
    def:
    if def._type or "" == "merge" then
      concatMap discharge def.contents
    else if def._type or "" == "if" then
      if isBool def.condition then
        (if def.condition then discharge def.content else [ ])
      else
        throw "mkIf called with a non-Boolean condition"
    else
      [ def ];

  priorityOf = v: if v._type or "" == "override" then v.priority else defaultPriority;

  # ---- messages ----

  showOption = concatStringsSep ".";
  showValue =
    v:
    if isDerivation v then
      "<derivation ${v.name or "?"}>"
    else if isFunction v then
      "<function>"
    else if isAttrs v then
      "{ ${concatStringsSep " " (map (n: "${n} = ${showValue v.${n}};") (attrNames v))} }"
    else if isList v then
      "[ ${concatStringsSep " " (map showValue v)} ]"
    else if isPath v then
      toString v
    else
      toJSON v;
  showDefs = defs: concatMapStrings (d: "\n- In `${d.file}': ${showValue d.value}") defs;

  # ---- merging ----

  mergeDefinitions =
    loc: type: defs:
    let
      normalized = concatMap (d: map (value: { inherit (d) file; inherit value; }) (discharge d.value)) defs;
      highest = foldl' (
        p: d:
        let
          q = priorityOf d.value;
        in
        if q < p then q else p
      ) 9999 normalized;
      stripped = map (
        d: if d.value._type or "" == "override" then d // { value = d.value.content; } else d
      ) (filter (d: priorityOf d.value == highest) normalized);
      # nixpkgs looks for mkOrder here, which evaluates every value; doing the same keeps the
      # mini lib from accepting a self-reference that recurses forever in nixpkgs.
      final =
        if any (d: d.value._type or "" == "order") stripped then
          throw "The option `${showOption loc}' uses mkOrder/mkBefore/mkAfter, which the mini lib does not support."
        else
          stripped;
      isDefined = final != [ ];
      bad = filter (d: !(type.check d.value)) final;
      mergedValue =
        if !isDefined then
          throw "The option `${showOption loc}' was accessed but has no value defined. Try setting the option."
        else if bad != [ ] then
          throw "A definition for option `${showOption loc}' is not of type `${type.description}'. Definition values:${showDefs bad}"
        else
          type.merge loc final;
    in
    {
      inherit isDefined mergedValue;
      optionalValue = if isDefined then { value = mergedValue; } else { };
    };

  mergeEqualOption =
    loc: defs:
    if defs == [ ] then
      throw "The option `${showOption loc}' was accessed but has no value defined. Try setting the option."
    else if all (d: d.value == (head defs).value) defs then
      (head defs).value
    else
      throw "The option `${showOption loc}' has conflicting definition values:${showDefs defs}";

  mergeOneOption =
    loc: defs:
    if length defs == 1 then
      (head defs).value
    else
      throw "The unique option `${showOption loc}' is defined multiple times. Definition values:${showDefs defs}";

  mergeDefaultOption =
    loc: defs:
    let
      values = map (d: d.value) defs;
    in
    if length values == 1 then
      head values
    else if all isList values then
      concatLists values
    else if all isAttrs values then
      foldl' (a: b: a // b) { } values
    else if all isBool values then
      any (x: x) values
    else if all isString values then
      concatStringsSep "" values
    else
      mergeEqualOption loc defs;

  # ---- types ----

  mkOptionType =
    attrs:
    attrs
    // {
      _type = "option-type";
      description = attrs.description or attrs.name;
      check = attrs.check or (_: true);
      merge = attrs.merge or mergeDefaultOption;
    };

  types = rec {
    unspecified = mkOptionType { name = "unspecified"; };
    bool = mkOptionType {
      name = "bool";
      description = "boolean";
      check = isBool;
      merge = mergeEqualOption;
    };
    str = mkOptionType {
      name = "str";
      description = "string";
      check = isString;
      merge = mergeEqualOption;
    };
    int = mkOptionType {
      name = "int";
      description = "signed integer";
      check = isInt;
      merge = mergeEqualOption;
    };
    ints = {
      between =
        lo: hi:
        mkOptionType {
          name = "intBetween";
          description = "integer between ${toString lo} and ${toString hi} (both inclusive)";
          check = x: isInt x && x >= lo && x <= hi;
          merge = mergeEqualOption;
        };
      positive = mkOptionType {
        name = "positiveInt";
        description = "positive integer, meaning >0";
        check = x: isInt x && x > 0;
        merge = mergeEqualOption;
      };
    };
    port = ints.between 0 65535;
    path = mkOptionType {
      name = "path";
      description = "absolute path";
      check = x: isStringLike x && substring 0 1 (toString x) == "/";
      merge = mergeEqualOption;
    };
    # nixpkgs' pathWith { absolute = true; inStore = false; }: a string (a path literal would be
    # copied into the store when used), absolute, and not a store path (the store directory, then
    # a component of a 32-character hash, a dash and a name).
    externalPath = mkOptionType {
      name = "path";
      description = "absolute path not in the Nix store";
      check =
        x:
        let
          storePrefix = "${builtins.storeDir}/";
          first = head (splitString "/" (substring (stringLength storePrefix) (stringLength x) x));
        in
        isString x
        && substring 0 1 x == "/"
        && !(hasPrefix storePrefix x && match ".{32}-.+" first != null);
      merge = mergeEqualOption;
    };
    package = mkOptionType {
      name = "package";
      description = "package";
      check = x: isDerivation x || (isString x && hasPrefix builtins.storeDir x);
      merge = mergeOneOption;
    };
    enum =
      values:
      mkOptionType {
        name = "enum";
        description = "one of ${concatMapStringsSep ", " toJSON values}";
        check = x: elem x values;
        merge = mergeEqualOption;
      };
    nullOr =
      elemType:
      mkOptionType {
        name = "nullOr";
        description = "null or ${elemType.description}";
        check = x: x == null || elemType.check x;
        merge =
          loc: defs:
          let
            nulls = length (filter (d: d.value == null) defs);
          in
          if nulls == length defs then
            null
          else if nulls != 0 then
            throw "The option `${showOption loc}' is defined both null and not null:${showDefs defs}"
          else
            elemType.merge loc defs;
      };
    listOf =
      elemType:
      mkOptionType {
        name = "listOf";
        description = "list of ${elemType.description}";
        check = isList;
        merge =
          loc: defs:
          map (x: x.value) (
            filter (x: x ? value) (
              concatLists (
                imap1 (
                  n: def:
                  imap1 (
                    m: v:
                    (mergeDefinitions (loc ++ [ "[definition ${toString n}-entry ${toString m}]" ]) elemType [
                      {
                        inherit (def) file;
                        value = v;
                      }
                    ]).optionalValue
                  ) def.value
                ) defs
              )
            )
          );
      };
    attrsOf =
      elemType:
      mkOptionType {
        name = "attrsOf";
        description = "attribute set of ${elemType.description}";
        check = isAttrs;
        merge =
          loc: defs:
          mapAttrs (n: v: v.value) (
            filterAttrs (n: v: v ? value) (
              zipAttrsWith (name: defs: (mergeDefinitions (loc ++ [ name ]) elemType defs).optionalValue) (
                map (
                  def:
                  mapAttrs (n: v: {
                    inherit (def) file;
                    value = v;
                  }) def.value
                ) defs
              )
            )
          );
      };
    anything = mkOptionType {
      name = "anything";
      description = "anything";
      merge =
        loc: defs:
        let
          typeOfValue = v: if isAttrs v && isStringLike v then "stringCoercibleSet" else typeOf v;
          common = foldl' (
            t: d:
            if typeOfValue d.value == t then
              t
            else
              throw "The option `${showOption loc}' has conflicting definition values:${showDefs defs}"
          ) (typeOfValue (head defs).value) defs;
        in
        if common == "set" then
          (attrsOf anything).merge loc defs
        else if common == "stringCoercibleSet" then
          mergeOneOption loc defs
        else
          mergeEqualOption loc defs;
    };
    submoduleWith =
      {
        modules,
        specialArgs ? { },
      }:
      mkOptionType {
        name = "submodule";
        description = "submodule";
        check = x: isAttrs x || isFunction x || isPath x;
        merge =
          loc: defs:
          (evalModules {
            prefix = loc;
            modules =
              modules
              ++ map (
                d:
                if isAttrs d.value then
                  {
                    _file = d.file;
                    imports = [ d.value ];
                  }
                else
                  d.value
              ) defs;
            specialArgs = {
              name = last loc;
            }
            // specialArgs;
          }).config;
      };
    submodule = modules: submoduleWith { modules = toList modules; };
  };

  # ---- options ----

  mkOption = attrs: attrs // { _type = "option"; };
  isOption = x: isAttrs x && x._type or "" == "option";
  mkEnableOption =
    name:
    mkOption {
      type = types.bool;
      default = false;
      example = true;
      description = "Whether to enable ${name}.";
    };
  mkPackageOption =
    pkgs: name:
    {
      default ? [ name ],
      example ? null,
      extraDescription ? "",
      ...
    }:
    let
      path = toList default;
    in
    mkOption {
      type = types.package;
      default = attrByPath path (throw "pkgs.${concatStringsSep "." path} cannot be found in pkgs") pkgs;
      description = "The ${name} package to use.${extraDescription}";
    };
  literalExpression = text: {
    _type = "literalExpression";
    inherit text;
  };

  # ---- modules ----

  moduleKeys = [
    "_file"
    "key"
    "imports"
    "options"
    "config"
    "freeformType"
    "meta"
  ];

  # A module in the { file, key, imports, options, config, freeformType } form. Like nixpkgs, a
  # module without `options' and `config' is shorthand: all its other attributes are config.
  unifyModule =
    file: key: m:
    let
      common = {
        file = m._file or file;
        key = m.key or key;
        imports = m.imports or [ ];
        freeformType = m.freeformType or null;
      };
    in
    if m ? options || m ? config then
      let
        unknown = filter (k: !(elem k moduleKeys)) (attrNames m);
      in
      if unknown != [ ] then
        throw "Module `${file}' has an unsupported attribute `${head unknown}'. Put it under `config', or declare it under `options'."
      else
        common
        // {
          options = m.options or { };
          config = m.config or { };
        }
    else
      common
      // {
        options = { };
        config = removeAttrs m moduleKeys;
      };

  # Every module reachable through imports, each once (files by path).
  collectModules =
    args: modules:
    let
      load =
        parent: i: m:
        let
          fromFile = isPath m || isString m;
          file = if fromFile then toString m else parent.file;
          key = if fromFile then toString m else "${parent.key}:anon-${toString i}";
          raw = if fromFile then import m else m;
          value = if isFunction raw then raw (intersectAttrs (functionArgs raw) args) else raw;
        in
        unifyModule file key value;
    in
    genericClosure {
      startSet = imap1 (load {
        file = "<evalModules>";
        key = "<root>";
      }) modules;
      operator = entry: imap1 (load entry) entry.imports;
    };

  # Declarations from all modules as one tree.
  mergeDeclarations =
    loc: decls:
    zipAttrsWith (
      n: ds:
      if any (d: isOption d.value) ds then
        if length ds == 1 then
          (head ds).value // { declarations = [ (head ds).file ]; }
        else
          throw "The option `${showOption (loc ++ [ n ])}' is declared in several modules (${concatMapStringsSep ", " (d: d.file) ds}); the mini lib does not merge declarations."
      else
        mergeDeclarations (loc ++ [ n ]) ds
    ) (map (d: mapAttrs (_: v: { inherit (d) file; value = v; }) d.value) decls);

  definitionsOf =
    name: defs:
    concatMap (
      d:
      if d.value ? ${name} then
        [
          {
            inherit (d) file;
            value = d.value.${name};
          }
        ]
      else
        [ ]
    ) defs;

  pushDownDefs = defs: concatMap (d: map (value: { inherit (d) file; inherit value; }) (pushDown d.value)) defs;

  evalOptionValue =
    loc: opt: defs:
    let
      all' =
        optional (opt ? default) {
          file = head opt.declarations;
          value = mkOptionDefault opt.default;
        }
        ++ defs;
      merged =
        if opt.readOnly or false && length all' > 1 then
          throw "The option `${showOption loc}' is read-only, but it's set multiple times.${showDefs defs}"
        else
          (mergeDefinitions loc (opt.type or types.unspecified) all').mergedValue;
    in
    if opt ? apply then opt.apply merged else merged;

  evalDeclared =
    loc: decls: defs:
    mapAttrs (
      n: decl:
      if isOption decl then
        evalOptionValue (loc ++ [ n ]) decl (definitionsOf n defs)
      else
        evalDeclared (loc ++ [ n ]) decl (pushDownDefs (definitionsOf n defs))
    ) decls;

  # Definitions of names nothing declares, with their path below the module's root.
  unmatchedDefs =
    path: decls: defs:
    concatMap (
      d:
      concatMap (
        n:
        if decls ? ${n} then
          if isOption decls.${n} then
            [ ]
          else
            unmatchedDefs (path ++ [ n ]) decls.${n} (pushDownDefs [
              {
                inherit (d) file;
                value = d.value.${n};
              }
            ])
        else
          [
            {
              inherit (d) file;
              path = path ++ [ n ];
              value = d.value.${n};
            }
          ]
      ) (attrNames d.value)
    ) defs;

  evalModules =
    {
      modules,
      specialArgs ? { },
      prefix ? [ ],
    }:
    let
      args = specialArgs // {
        inherit config options lib;
      };
      entries = collectModules args modules;
      options = mergeDeclarations prefix (
        map (e: {
          inherit (e) file;
          value = e.options;
        }) entries
      );
      # nixpkgs' order: later modules' definitions first (it shows in merged lists).
      defs = pushDownDefs (
        map (e: {
          inherit (e) file;
          value = e.config;
        }) (reverseList entries)
      );
      freeformTypes = filter (t: t != null) (map (e: e.freeformType) entries);
      freeformType = if freeformTypes == [ ] then null else last freeformTypes;
      declared = evalDeclared prefix options defs;
      unmatched = unmatchedDefs [ ] options defs;
      # What modules see as `config`; only the returned config is checked for unknown options.
      config =
        if freeformType == null then
          declared
        else
          recursiveUpdate (
            if unmatched == [ ] then
              { }
            else
              freeformType.merge prefix (
                map (u: {
                  inherit (u) file;
                  value = setAttrByPath u.path u.value;
                }) unmatched
              )
          ) declared;
      check =
        if freeformType == null && unmatched != [ ] then
          let
            u = head unmatched;
          in
          throw "The option `${showOption (prefix ++ u.path)}' does not exist. Definition values:${showDefs [ u ]}"
        else
          null;
    in
    {
      config = builtins.seq check config;
      inherit options;
    };

  lib = {
    inherit
      imap1
      last
      reverseList
      toList
      optional
      optionals
      nameValuePair
      mapAttrs'
      mapAttrsToList
      filterAttrs
      optionalAttrs
      genAttrs
      attrByPath
      setAttrByPath
      recursiveUpdateUntil
      recursiveUpdate
      escapeRegex
      hasPrefix
      hasSuffix
      hasInfix
      removeSuffix
      splitString
      optionalString
      concatMapStrings
      concatMapStringsSep
      escapeShellArg
      escapeShellArgs
      isStringLike
      isDerivation
      getExe
      getExe'
      importJSON
      mkIf
      mkMerge
      mkOverride
      mkOptionDefault
      mkDefault
      mkForce
      mergeEqualOption
      mergeOneOption
      mergeDefaultOption
      mkOptionType
      types
      mkOption
      isOption
      mkEnableOption
      mkPackageOption
      literalExpression
      evalModules
      ;
    inherit (builtins)
      all
      any
      attrNames
      attrValues
      concatLists
      concatMap
      concatStringsSep
      elem
      elemAt
      filter
      foldl'
      head
      isAttrs
      isBool
      isFunction
      isInt
      isList
      isString
      length
      listToAttrs
      mapAttrs
      tail
      ;
  };
in
lib
