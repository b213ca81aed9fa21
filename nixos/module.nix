# services.igbridge: igbridge, the Matrix appservice that answers Instagram links.
#
# Instances live under services.igbridge.instances.<name> (the mautrix-meta shape), so several
# bridges can run side by side. Each gets its own unit igbridge-<name>.service, system user and
# group igbridge-<name>, state directory /var/lib/igbridge-<name> (SQLite database, registration)
# and a health-check timer. See README.md next to this file.
{
  config,
  lib,
  pkgs,
  ...
}:

let
  inherit (lib)
    mkOption
    mkEnableOption
    mkIf
    mkMerge
    mkDefault
    types
    literalExpression
    mapAttrs
    mapAttrs'
    nameValuePair
    filterAttrs
    attrNames
    attrValues
    concatLists
    concatMap
    concatStringsSep
    optional
    optionals
    optionalAttrs
    optionalString
    escapeShellArg
    escapeShellArgs
    getExe'
    hasPrefix
    hasSuffix
    removeSuffix
    recursiveUpdate
    splitString
    isAttrs
    elem
    filter
    length
    ;

  cfg = config.services.igbridge;
  enabledInstances = filterAttrs (_: inst: inst.enable) cfg.instances;

  settingsFormat = pkgs.formats.yaml { };

  # The full example config (`igbridge -e`), as JSON because Nix cannot read YAML.
  # TestExampleConfigJSON in nixos_test.go fails when it no longer matches ../example-config.yaml.
  exampleConfig = lib.importJSON ./example-config.json;

  # Secrets reach the bridge through mxmain's env_config_prefix; the prefix is fixed so the
  # variable names below always match.
  envPrefix = "IGBRIDGE_";

  # The bridge refuses a SQLite URI without these parameters (pkg/connector/startup.go);
  # TestSQLiteParamsMatchGo checks this copy against the Go helper.
  sqliteParams = "_txlock=immediate&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(5000)&_time_format=sqlite";

  # Maps whose keys are data, not config fields: a user's map replaces the whole default instead
  # of being merged into the example's placeholder entries (example.com and friends).
  wholeValuePaths = [
    [ "bridge" "permissions" ]
    [ "double_puppet" "servers" ]
    [ "double_puppet" "secrets" ]
    [ "backfill" "queue" "max_batches_override" ]
  ];

  # The example minus what the module replaces: appservice (below, without address) and the
  # whole-value maps, which recursiveUpdate would otherwise merge into the placeholders.
  exampleWithoutPlaceholders = removeAttrs exampleConfig [ "appservice" ] // {
    bridge = removeAttrs exampleConfig.bridge [ "permissions" ];
    double_puppet = removeAttrs exampleConfig.double_puppet [ "servers" "secrets" ];
  };

  # Every other leaf becomes its own mkDefault, so setting one key overrides just that key.
  defaultsAt =
    path: value:
    if isAttrs value && !(elem path wholeValuePaths) then
      mapAttrs (n: defaultsAt (path ++ [ n ])) value
    else
      mkDefault value;

  # Secret files: nixpkgs' externalPath (a string, absolute, outside the store) where this nixpkgs
  # has it; older ones get types.path, and the assertions below reject what externalPath would.
  secretFile = types.nullOr (if types ? externalPath then types.externalPath else types.path);

  unitName = name: "igbridge-${name}";
  credentialsDir = name: "/run/credentials/${unitName name}.service";

  # Where the homeserver and the health check reach the listener: a wildcard bind is reached
  # over IPv4 loopback (conduwuit only speaks IPv4 to appservices).
  listenURL =
    s:
    let
      host = s.appservice.hostname;
      reach =
        if elem host [ "" "0.0.0.0" "::" ] then
          "127.0.0.1"
        else if lib.hasInfix ":" host then
          "[${host}]"
        else
          host;
    in
    "http://${reach}:${toString s.appservice.port}";

  # appservice.address is derived here rather than as a settings default: a default inside
  # settings that reads settings.appservice.port recurses forever in the module system.
  finalSettings =
    inst:
    inst.settings
    // {
      appservice = {
        address = listenURL inst.settings;
      }
      // inst.settings.appservice;
    };

  # Go's regexp.QuoteMeta, which `igbridge -g` applies to the namespace parts.
  quoteMeta = builtins.replaceStrings
    [ "\\" "." "+" "*" "?" "(" ")" "|" "[" "]" "{" "}" "^" "$" ]
    [ "\\\\" "\\." "\\+" "\\*" "\\?" "\\(" "\\)" "\\|" "\\[" "\\]" "\\{" "\\}" "\\^" "\\$" ];

  userPrefix = s: removeSuffix "{{.}}" s.appservice.username_template;

  # The repository's registration template with everything known at evaluation time filled in.
  # Tokens and sender_localpart stay as @MARKERS@ for the start script. ID and URL go in as JSON
  # strings (valid YAML); the namespace parts are checked against the localpart and domain
  # grammars by the assertions below, so they are safe as plain YAML.
  registrationTemplate =
    name: inst:
    let
      s = finalSettings inst;
      body = filter (line: !(hasPrefix "#" line)) (
        splitString "\n" (builtins.readFile ../registration.yaml.tmpl)
      );
      # `igbridge -g` adds these keys when the matching features are on.
      extra =
        optionals (s.appservice.ephemeral_events or false) [
          "de.sorunome.msc2409.push_ephemeral: true"
          "receive_ephemeral: true"
        ]
        ++ optional (s.encryption.appservice or false) "org.matrix.msc3202: true"
        ++ optional (s.encryption.msc4190 or false) "io.element.msc4190: true";
      text = concatStringsSep "\n" (
        [
          "# Written by the igbridge NixOS module when ${unitName name}.service starts; do not edit."
        ]
        ++ filter (line: line != "") body
        ++ extra
      );
    in
    pkgs.writeText "${unitName name}-registration.yaml.tmpl" (
      builtins.replaceStrings
        [
          "\${ID}"
          "\${URL}"
          "\${BOT_USERNAME}"
          "\${USER_PREFIX}"
          "\${DOMAIN_REGEX}"
          "\${AS_TOKEN}"
          "\${HS_TOKEN}"
          "\${SENDER_LOCALPART}"
        ]
        [
          (builtins.toJSON s.appservice.id)
          (builtins.toJSON s.appservice.address)
          (quoteMeta s.appservice.bot.username)
          (quoteMeta (userPrefix s))
          (quoteMeta s.homeserver.domain)
          "@AS_TOKEN@"
          "@HS_TOKEN@"
          "@SENDER_LOCALPART@"
        ]
        text
      + "\n"
    );

  # ExecStartPre: renders the registration into the state directory. It runs as the bridge's
  # user inside the same sandbox and sees the same credentials.
  registrationScript =
    name: inst:
    pkgs.writeShellScript "${unitName name}-registration" ''
      set -euo pipefail
      umask 0027
      state=$STATE_DIRECTORY

      # Like mxmain's reading of *_FILE variables (surrounding whitespace dropped); the character
      # set keeps the token safe inside a double-quoted YAML string.
      read_token() {
        local value
        value=$(<"$CREDENTIALS_DIRECTORY/$1")
        value=''${value#"''${value%%[![:space:]]*}"}
        value=''${value%"''${value##*[![:space:]]}"}
        if [[ ! $value =~ ^[A-Za-z0-9._~+/=-]+$ ]]; then
          echo "${unitName name}: the $1 file must hold one token of letters, digits and ._~+/=- (it is empty or has other characters)" >&2
          exit 1
        fi
        printf '%s' "$value"
      }
      as_token=$(read_token as_token)
      hs_token=$(read_token hs_token)

      # Chosen once and kept: the homeserver's copy of the registration must keep matching.
      if [[ ! -s $state/sender_localpart ]]; then
        od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$state/sender_localpart.new"
        mv -f "$state/sender_localpart.new" "$state/sender_localpart"
      fi
      sender=$(<"$state/sender_localpart")
      ${optionalString (inst.pickleKeyFile == null) ''
        # The key the bridge stores its encryption keys under: made once, never changed. (The
        # example's "generate" would give a new key at every start, as -n never saves it.)
        if [[ ! -s $state/pickle_key ]]; then
          (umask 0077 && od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$state/pickle_key.new")
          mv -f "$state/pickle_key.new" "$state/pickle_key"
        fi
      ''}

      q='"'
      reg=$(<${registrationTemplate name inst})
      reg=''${reg//@AS_TOKEN@/"$q$as_token$q"}
      reg=''${reg//@HS_TOKEN@/"$q$hs_token$q"}
      reg=''${reg//@SENDER_LOCALPART@/"$q$sender$q"}

      out=$state/registration.yaml
      printf '%s\n' "$reg" >"$out.new"
      chmod 0640 "$out.new"
      ${optionalString (inst.registrationGroup != null) ''chgrp ${escapeShellArg inst.registrationGroup} "$out.new"''}
      changed=1
      [[ -f $out && "$(<"$out")" == "$reg" ]] && changed=0
      mv -f "$out.new" "$out"
      if ((changed)); then
        echo "${unitName name}: wrote $out; register it with the homeserver (conduwuit: send the output of 'igbridge --conduwuit-message -r $out' in its admin room)"
      fi
    '';

  # Counts consecutive failed checks in the health unit's own runtime directory: the bridge's
  # state directory belongs to the bridge user, and root writing there could follow its symlinks.
  healthScript =
    name: inst:
    let
      hc = inst.healthCheck;
      systemctl = getExe' config.systemd.package "systemctl";
    in
    pkgs.writeShellScript "${unitName name}-health" ''
      set -uo pipefail
      unit=${escapeShellArg "${unitName name}.service"}
      count_file=$RUNTIME_DIRECTORY/failures

      # Stopped, failed or (re)starting: nothing to judge; the watchdog covers a hung start.
      if ! ${systemctl} is-active --quiet "$unit"; then
        rm -f "$count_file"
        exit 0
      fi
      answer=$(${getExe' pkgs.curl "curl"} --silent --show-error --max-time ${toString hc.timeout} \
        --write-out '\n%{http_code}' ${escapeShellArg "${listenURL inst.settings}/_igbridge/v1/health"})
      curl_rc=$?
      status=''${answer##*$'\n'}
      answer=''${answer%$'\n'*}
      answer=''${answer:0:2000}
      if ((curl_rc == 0)) && [[ $status == 200 ]]; then
        rm -f "$count_file"
        echo "healthy: $answer"
        exit 0
      fi

      failures=0
      [[ -f $count_file ]] && read -r failures <"$count_file"
      [[ $failures =~ ^[0-9]+$ ]] || failures=0
      failures=$((failures + 1))
      if ((curl_rc != 0)); then
        echo "unhealthy ($failures of ${toString hc.failuresBeforeRestart}): no answer (curl exit status $curl_rc)"
      else
        echo "unhealthy ($failures of ${toString hc.failuresBeforeRestart}): HTTP $status: $answer"
      fi
      if ((failures >= ${toString hc.failuresBeforeRestart})); then
        echo "restarting $unit after $failures failed checks in a row"
        rm -f "$count_file"
        ${systemctl} restart --no-block "$unit"
      else
        echo "$failures" >"$count_file"
      fi
      exit 1
    '';

  # The sandbox both units share; units_test.go holds the systemd-analyze security score.
  commonHardening = {
    CapabilityBoundingSet = "";
    DevicePolicy = "closed";
    LockPersonality = true;
    MemoryDenyWriteExecute = true; # fine for Go and CPython; would break a JIT runtime
    NoNewPrivileges = true;
    PrivateDevices = true;
    PrivateMounts = true;
    PrivateTmp = true;
    ProtectClock = true;
    ProtectControlGroups = true;
    ProtectHome = true;
    ProtectHostname = true;
    ProtectKernelLogs = true;
    ProtectKernelModules = true;
    ProtectKernelTunables = true;
    ProtectProc = "invisible";
    ProtectSystem = "strict";
    RemoveIPC = true;
    RestrictAddressFamilies = [
      "AF_INET"
      "AF_INET6"
      "AF_UNIX"
    ];
    RestrictNamespaces = true;
    RestrictRealtime = true;
    RestrictSUIDSGID = true;
    SystemCallArchitectures = "native";
    SystemCallErrorNumber = "EPERM";
    SystemCallFilter = [
      "@system-service"
      "~@privileged @resources"
    ];
  };

  mkService =
    name: inst:
    let
      unit = unitName name;
      dataDir = "/var/lib/${inst.stateDirectory}";
      configFile = settingsFormat.generate "${unit}.yaml" (finalSettings inst);
    in
    {
      description = "igbridge, Instagram links for Matrix (instance ${name})";
      wantedBy = [ "multi-user.target" ];
      wants = [ "network-online.target" ] ++ inst.serviceDependencies;
      after = [ "network-online.target" ] ++ inst.serviceDependencies;
      restartTriggers = [ configFile ];
      # ffmpeg (optional) merges separate video and audio formats and shrinks videos to the
      # homeserver's upload limit; the bridge finds it on PATH.
      path = optional (inst.ffmpeg != null) inst.ffmpeg;
      startLimitBurst = 5;
      startLimitIntervalSec = 300;
      # %d is the credentials directory. (network.cookies_file cannot come this way: mxmain
      # would read IGBRIDGE_NETWORK__COOKIES_FILE as "network.cookies, from a file".)
      environment = {
        "${envPrefix}APPSERVICE__AS_TOKEN_FILE" = "%d/as_token";
        "${envPrefix}APPSERVICE__HS_TOKEN_FILE" = "%d/hs_token";
        "${envPrefix}ENCRYPTION__PICKLE_KEY_FILE" =
          if inst.pickleKeyFile != null then "%d/pickle_key" else "${dataDir}/pickle_key";
      };
      serviceConfig = commonHardening // {
        # READY=1 once started, WATCHDOG=1 at half WatchdogSec while its liveness check passes,
        # EXTEND_TIMEOUT_USEC while the start waits for the homeserver.
        Type = "notify";
        NotifyAccess = "main";
        WatchdogSec = mkDefault "60s";
        TimeoutStartSec = mkDefault "2min";
        # Lets the links being answered finish.
        TimeoutStopSec = mkDefault "2min";
        Restart = "on-failure";
        RestartSec = "10s";
        # Config errors, which a restart cannot fix (docs/conduwuit.md, exit codes).
        RestartPreventExitStatus = "10 11 12 18";
        User = unit;
        Group = unit;
        # Guarded so a missing file reaches the assertions instead of failing here.
        LoadCredential =
          optional (inst.asTokenFile != null) "as_token:${inst.asTokenFile}"
          ++ optional (inst.hsTokenFile != null) "hs_token:${inst.hsTokenFile}"
          ++ optional (inst.pickleKeyFile != null) "pickle_key:${inst.pickleKeyFile}"
          ++ optional (inst.cookiesFile != null) "cookies:${inst.cookiesFile}";
        StateDirectory = inst.stateDirectory;
        # o+x only when the homeserver's group must reach registration.yaml inside.
        StateDirectoryMode = if inst.registrationGroup == null then "0750" else "0751";
        WorkingDirectory = dataDir;
        ExecStartPre = registrationScript name inst;
        ExecStart = escapeShellArgs [
          (getExe' inst.package "igbridge")
          "-c"
          configFile
          "-r"
          inst.registrationFile
          "-n"
        ];
        # Defaults, so a configuration can change them without mkForce.
        MemoryMax = mkDefault "512M";
        ProcSubset = "pid";
        UMask = "0027";
        # PrivateUsers maps every group but the unit's own to nobody, and the start script could
        # no longer chgrp the registration to registrationGroup.
        PrivateUsers = inst.registrationGroup == null;
        PrivateIPC = true;
      }
      // optionalAttrs (inst.registrationGroup != null) {
        SupplementaryGroups = [ inst.registrationGroup ];
      };
    };

  mkHealthService = name: inst: {
    description = "Health check of ${unitName name}.service";
    serviceConfig = commonHardening // {
      Type = "oneshot";
      TimeoutStartSec = "1min";
      # Root, for `systemctl restart`; without capabilities and inside the same sandbox.
      ExecStart = healthScript name inst;
      RuntimeDirectory = "${unitName name}-health";
      RuntimeDirectoryMode = "0700";
      RuntimeDirectoryPreserve = true;
      UMask = "0077";
    };
  };

  mkHealthTimer = name: inst: {
    description = "Periodic health check of ${unitName name}.service";
    wantedBy = [ "timers.target" ];
    timerConfig = {
      OnActiveSec = inst.healthCheck.interval;
      OnUnitActiveSec = inst.healthCheck.interval;
    };
  };

  # Pairs of distinct enabled instances, for the overlap checks.
  instancePairs =
    let
      names = attrNames enabledInstances;
      n = length names;
    in
    concatMap (
      i:
      map (j: {
        a = builtins.elemAt names i;
        b = builtins.elemAt names j;
      }) (builtins.genList (k: k + i + 1) (n - i - 1))
    ) (builtins.genList (k: k) n);

  # One assertion per value that several enabled instances share; showKey = false keeps a
  # value that may hold a password (database.uri) out of the message.
  distinct =
    what: showKey: f:
    let
      groups = builtins.groupBy f (
        filter (name: f name != null) (attrNames enabledInstances)
      );
    in
    map (key: {
      assertion = length groups.${key} < 2;
      message = "services.igbridge.instances: ${concatStringsSep ", " groups.${key}} all use the same ${what}${optionalString showKey " (${key})"}; each instance needs its own.";
    }) (attrNames groups);

  instanceAssertions =
    name: inst:
    let
      p = "services.igbridge.instances.${name}";
      s = inst.settings;
      validLocalpart = v: builtins.match "[a-z0-9._=/-]+" v != null;
    in
    [
      {
        assertion = inst.asTokenFile != null;
        message = "${p}.asTokenFile must be set: the path of a file holding the appservice token (as_token), outside the Nix store (e.g. a sops-nix or agenix secret).";
      }
      {
        assertion = inst.hsTokenFile != null;
        message = "${p}.hsTokenFile must be set: the path of a file holding the homeserver token (hs_token), outside the Nix store (e.g. a sops-nix or agenix secret).";
      }
    ]
    ++ concatMap (
      opt:
      optional (inst.${opt} != null) {
        # isString first: a Nix path literal would be copied into the store by the other tests.
        assertion =
          builtins.isString inst.${opt} && hasPrefix "/" inst.${opt} && !(hasPrefix "/nix/store/" inst.${opt});
        message = "${p}.${opt} must be an absolute path outside the Nix store (the store is world-readable), as a string, not ${toString inst.${opt}}.";
      }
    ) [ "asTokenFile" "hsTokenFile" "pickleKeyFile" "cookiesFile" ]
    ++ [
      {
        assertion =
          inst.stateDirectory != ""
          && !(hasPrefix "/" inst.stateDirectory)
          && !(elem ".." (splitString "/" inst.stateDirectory));
        message = "${p}.stateDirectory must be a directory name under /var/lib, like igbridge-${name}: not empty, not absolute and without `..', not \"${inst.stateDirectory}\".";
      }
      {
        assertion = s.homeserver.domain != exampleConfig.homeserver.domain;
        message = "${p}.settings.homeserver.domain must be set to the homeserver's server name (it is still the example config's ${exampleConfig.homeserver.domain}).";
      }
      {
        assertion = s.homeserver.address != exampleConfig.homeserver.address;
        message = "${p}.settings.homeserver.address must be set to the homeserver's URL, e.g. http://127.0.0.1:6167 for a local conduwuit (it is still the example config's ${exampleConfig.homeserver.address}).";
      }
      {
        assertion = builtins.match "[A-Za-z0-9.-]+(:[0-9]+)?" s.homeserver.domain != null;
        message = "${p}.settings.homeserver.domain must be a server name like example.org, not \"${s.homeserver.domain}\".";
      }
      {
        assertion =
          s.appservice.as_token == exampleConfig.appservice.as_token
          && s.appservice.hs_token == exampleConfig.appservice.hs_token;
        message = "${p}.settings.appservice.as_token and hs_token must stay unset: settings end up in the world-readable Nix store. Use asTokenFile and hsTokenFile.";
      }
      {
        assertion = validLocalpart s.appservice.bot.username;
        message = "${p}.settings.appservice.bot.username must be a Matrix localpart (a-z 0-9 . _ = / -), not \"${s.appservice.bot.username}\".";
      }
      {
        assertion =
          hasSuffix "{{.}}" s.appservice.username_template
          && builtins.match "[a-z0-9._=/-]*" (userPrefix s) != null;
        message = "${p}.settings.appservice.username_template must be a localpart prefix followed by {{.}}, like ig_{{.}}, not \"${s.appservice.username_template}\".";
      }
      {
        assertion = s.encryption.pickle_key == exampleConfig.encryption.pickle_key;
        message = "${p}.settings.encryption.pickle_key must stay unset: settings end up in the world-readable Nix store. Use pickleKeyFile, or leave it to the module, which keeps a generated key in the state directory.";
      }
      {
        assertion = s.env_config_prefix == envPrefix;
        message = "${p}.settings.env_config_prefix must stay ${envPrefix}: the module passes the tokens in variables with that prefix.";
      }
    ];

  # Every listener (appservice, metrics when enabled) of every instance needs its own port.
  portAssertions =
    let
      listeners = concatLists (
        lib.mapAttrsToList (
          name: inst:
          let
            s = inst.settings;
            metrics = s.network.metrics or { };
          in
          [
            {
              inherit name;
              what = "settings.appservice.port";
              port = toString s.appservice.port;
            }
          ]
          ++ optional (metrics.enabled or false) {
            inherit name;
            what = "settings.network.metrics.listen";
            port = lib.last (splitString ":" metrics.listen);
          }
        ) enabledInstances
      );
      byPort = builtins.groupBy (l: l.port) listeners;
    in
    map (port: {
      assertion = length byPort.${port} < 2;
      message = "services.igbridge.instances: port ${port} is used by ${
        concatStringsSep ", " (map (l: "${l.name} (${l.what})") byPort.${port})
      }; every listener needs its own port.";
    }) (attrNames byPort);

  # Two instances on one homeserver must not claim the same Matrix users.
  overlapAssertions = map (
    pair:
    let
      sa = cfg.instances.${pair.a}.settings;
      sb = cfg.instances.${pair.b}.settings;
      pa = userPrefix sa;
      pb = userPrefix sb;
      overlap =
        sa.appservice.bot.username == sb.appservice.bot.username
        || hasPrefix pa pb
        || hasPrefix pb pa
        || hasPrefix pa sb.appservice.bot.username
        || hasPrefix pb sa.appservice.bot.username;
    in
    {
      assertion = sa.homeserver.domain != sb.homeserver.domain || !overlap;
      message = "services.igbridge.instances.${pair.a} and ${pair.b} claim overlapping Matrix users on ${sa.homeserver.domain} (bots ${sa.appservice.bot.username} and ${sb.appservice.bot.username}, ghosts ${sa.appservice.username_template} and ${sb.appservice.username_template}); give each its own settings.appservice.bot.username and username_template.";
    }
  ) instancePairs;

  instanceModule =
    { name, config, ... }:
    {
      options = {
        enable = mkEnableOption "this igbridge instance";

        package = mkOption {
          type = types.package;
          # igbridge is not in nixpkgs: an overlay's pkgs.igbridge if there is one, else the
          # repository's package.nix.
          default = pkgs.igbridge or (pkgs.callPackage ./package.nix { });
          defaultText = literalExpression "pkgs.igbridge or (pkgs.callPackage ./nixos/package.nix { })";
          description = "The igbridge package (cgo, -tags goolm; see package.nix).";
        };

        ffmpeg = mkOption {
          type = types.nullOr types.package;
          default = pkgs.ffmpeg-headless;
          defaultText = literalExpression "pkgs.ffmpeg-headless";
          description = ''
            ffmpeg for merging separate video and audio formats and for shrinking videos to the
            homeserver's upload limit: on the bridge's PATH, and its bin/ffmpeg becomes the
            default of settings.network.media.ffmpeg. Null: the bridge works without (a video
            over the limit then gets a text line instead, and `status` says merging and
            transcoding are off).
          '';
        };

        ytdlpPython = mkOption {
          type = types.package;
          default = pkgs.python3.withPackages (ps: [ ps.yt-dlp ]);
          defaultText = literalExpression "pkgs.python3.withPackages (ps: [ ps.yt-dlp ])";
          description = ''
            A Python whose bin/python3 can `import yt_dlp`; becomes settings.network.ytdlp.python.
            Instagram changes often: a newer yt-dlp than the channel's may be needed.
          '';
        };

        settings = mkOption {
          type = settingsFormat.type;
          default = { };
          description = ''
            The bridge's config.yaml. Merged onto the example config (`igbridge -e`) key by key,
            so setting one key keeps every other default; a value replaces a list, and
            bridge.permissions, double_puppet.servers and double_puppet.secrets replace the
            example's maps as a whole. Use lib.mkForce to replace any other map whole.
            Required: homeserver.address and homeserver.domain. The module sets database.uri
            (SQLite in the state directory), logging (journal), network.ytdlp.python,
            network.media.ffmpeg, network.cookies_file and env_config_prefix; appservice.address defaults to
            http://<appservice.hostname>:<appservice.port>. Ends up in the Nix store: no secrets.
          '';
          example = literalExpression ''
            {
              homeserver = { address = "http://127.0.0.1:6167"; domain = "example.org"; };
              appservice.port = 29331;
              bridge.permissions = { "example.org" = "user"; "@admin:example.org" = "admin"; };
            }
          '';
        };

        asTokenFile = mkOption {
          type = secretFile;
          default = null;
          example = "/run/secrets/igbridge/as_token";
          description = ''
            File holding the appservice token (as_token), read through systemd's LoadCredential,
            never copied into the Nix store. Required.
          '';
        };

        hsTokenFile = mkOption {
          type = secretFile;
          default = null;
          example = "/run/secrets/igbridge/hs_token";
          description = ''
            File holding the homeserver token (hs_token), read through systemd's LoadCredential,
            never copied into the Nix store. Required.
          '';
        };

        pickleKeyFile = mkOption {
          type = secretFile;
          default = null;
          example = "/run/secrets/igbridge/pickle_key";
          description = ''
            File holding encryption.pickle_key, the key the bridge stores its encryption keys
            under, read through LoadCredential. Null: the module generates one at the first
            start and keeps it in the state directory (pickle_key, mode 0600). Never change the
            key of an existing database.
          '';
        };

        cookiesFile = mkOption {
          type = secretFile;
          default = null;
          example = "/run/secrets/igbridge/cookies.txt";
          description = ''
            Netscape-format cookies file with an Instagram session, read through LoadCredential
            (needed for stories and followed private accounts). Null fetches logged out.
          '';
        };

        registrationGroup = mkOption {
          type = types.nullOr types.str;
          default = null;
          example = "matrix-synapse";
          description = ''
            Group that may read registration.yaml (mode 0640), for a homeserver that loads it
            from disk: the homeserver's group, or a dedicated group its user is in. The bridge
            process gets this group as a supplementary group and so loses PrivateUsers=.
            Null keeps the file to the bridge's own group (enough for conduwuit, which takes the
            registration in its admin room).
          '';
        };

        stateDirectory = mkOption {
          type = types.str;
          default = "igbridge-${name}";
          defaultText = literalExpression ''"igbridge-''${name}"'';
          description = ''
            Directory under /var/lib (systemd StateDirectory) for the SQLite database and the
            registration.
          '';
        };

        serviceDependencies = mkOption {
          type = types.listOf types.str;
          default = [ ];
          example = [ "conduwuit.service" ];
          description = "Units the bridge wants and starts after, typically the homeserver.";
        };

        healthCheck = {
          enable = mkOption {
            type = types.bool;
            default = true;
            description = ''
              Whether a timer queries /_igbridge/v1/health and restarts the bridge after
              failuresBeforeRestart failed checks in a row (on top of the systemd watchdog,
              which catches a hung process but not a bridge that is alive and broken).
            '';
          };
          interval = mkOption {
            type = types.str;
            default = "5min";
            description = "Time between two checks (systemd time span).";
          };
          failuresBeforeRestart = mkOption {
            type = types.ints.positive;
            default = 3;
            description = "Failed checks in a row that restart the bridge.";
          };
          timeout = mkOption {
            type = types.ints.positive;
            default = 10;
            description = "Seconds one check may take.";
          };
        };

        registrationFile = mkOption {
          type = types.str;
          readOnly = true;
          default = "/var/lib/${config.stateDirectory}/registration.yaml";
          defaultText = literalExpression ''"/var/lib/''${stateDirectory}/registration.yaml"'';
          description = "Where the registration is written at start (read-only).";
        };

        serviceUnit = mkOption {
          type = types.str;
          readOnly = true;
          default = "${unitName name}.service";
          defaultText = literalExpression ''"igbridge-''${name}.service"'';
          description = "The bridge's systemd unit, for ordering other units (read-only).";
        };
      };

      config.settings = mkMerge [
        (defaultsAt [ ] (
          recursiveUpdate exampleWithoutPlaceholders {
            database.uri = "file:/var/lib/${config.stateDirectory}/igbridge.db?${sqliteParams}";
            bridge.permissions = {
              "*" = "relay";
              ${config.settings.homeserver.domain} = "user";
            };
            double_puppet = {
              servers = { };
              secrets = { };
            };
            logging = {
              min_level = "info";
              # The journal adds its own timestamps.
              writers = [
                {
                  type = "stdout";
                  format = "pretty";
                  time_format = " ";
                }
              ];
            };
            network.ytdlp.python = getExe' config.ytdlpPython "python3";
            # The absolute path, so the bridge uses this ffmpeg even with another on PATH; with
            # ffmpeg = null the example's empty value looks on PATH (and finds none in the unit).
            network.media.ffmpeg =
              if config.ffmpeg != null then
                getExe' config.ffmpeg "ffmpeg"
              else
                exampleConfig.network.media.ffmpeg;
          }
        ))
        { appservice = defaultsAt [ "appservice" ] (removeAttrs exampleConfig.appservice [ "address" ]); }
        { env_config_prefix = envPrefix; }
        (mkIf (config.cookiesFile != null) {
          network.cookies_file = "${credentialsDir name}/cookies";
        })
      ];
    };
in
{
  options.services.igbridge.instances = mkOption {
    type = types.attrsOf (types.submodule instanceModule);
    default = { };
    description = ''
      igbridge instances by name. Each runs as igbridge-<name>.service; several need distinct
      settings.appservice.port, appservice.id and Matrix namespaces (bot.username,
      username_template), which the module checks.
    '';
    example = literalExpression ''
      {
        main = {
          enable = true;
          asTokenFile = "/run/secrets/igbridge/as_token";
          hsTokenFile = "/run/secrets/igbridge/hs_token";
          serviceDependencies = [ "conduwuit.service" ];
          settings.homeserver = { address = "http://127.0.0.1:6167"; domain = "example.org"; };
        };
      }
    '';
  };

  config = mkIf (enabledInstances != { }) {
    assertions =
      concatLists (attrValues (mapAttrs instanceAssertions enabledInstances))
      ++ distinct "settings.appservice.id" true (name: enabledInstances.${name}.settings.appservice.id)
      ++ distinct "stateDirectory" true (name: enabledInstances.${name}.stateDirectory)
      ++ distinct "settings.database.uri" false (name: enabledInstances.${name}.settings.database.uri)
      ++ portAssertions
      ++ overlapAssertions;

    users.users = mapAttrs' (
      name: _:
      nameValuePair (unitName name) {
        isSystemUser = true;
        group = unitName name;
        description = "igbridge instance ${name}";
      }
    ) enabledInstances;

    users.groups =
      mapAttrs' (name: _: nameValuePair (unitName name) { }) enabledInstances
      // builtins.listToAttrs (
        map (inst: nameValuePair inst.registrationGroup { }) (
          filter (inst: inst.registrationGroup != null) (attrValues enabledInstances)
        )
      );

    systemd.services =
      mapAttrs' (name: inst: nameValuePair (unitName name) (mkService name inst)) enabledInstances
      // mapAttrs' (name: inst: nameValuePair "${unitName name}-health" (mkHealthService name inst)) (
        filterAttrs (_: inst: inst.healthCheck.enable) enabledInstances
      );

    systemd.timers = mapAttrs' (
      name: inst: nameValuePair "${unitName name}-health" (mkHealthTimer name inst)
    ) (filterAttrs (_: inst: inst.healthCheck.enable) enabledInstances);
  };
}
