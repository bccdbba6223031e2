# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_lviz_global_optspecs
    string join \n prometheus-url= prometheus-http-config= prometheus-bearer-token-file= prometheus-bearer-token-env= prometheus-header= prometheus-user= viz-namespace= no-kube v/verbose kubeconfig= context= api-addr= n/namespace= A/all-namespaces t/time-window= at= request-timeout= max-answer-size= query-plan= o/output= sort-by= no-headers color= watch= watch-count= fail-if= fail-on-no-traffic h/help V/version
end

function __fish_lviz_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_lviz_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_lviz_using_subcommand
    set -l cmd (__fish_lviz_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c lviz -n "__fish_lviz_needs_command" -l prometheus-url -d 'Prometheus base URL (a path prefix is fine: http://vmselect:8481/select/0/prometheus) (default: find linkerd-viz\'s Prometheus through Kubernetes)' -r
complete -c lviz -n "__fish_lviz_needs_command" -l prometheus-http-config -d 'Prometheus HTTP client config (promtool\'s --http.config.file format: basic_auth, authorization, tls_config, http_headers)' -r -F
complete -c lviz -n "__fish_lviz_needs_command" -l prometheus-bearer-token-file -d 'Send `Authorization: Bearer <token>` with the token read from FILE' -r -F
complete -c lviz -n "__fish_lviz_needs_command" -l prometheus-bearer-token-env -d 'Send `Authorization: Bearer <token>` with the token read from environment variable VAR (default: LVIZ_PROMETHEUS_TOKEN when set)' -r
complete -c lviz -n "__fish_lviz_needs_command" -l prometheus-header -d 'Extra request header, e.g. \'X-Scope-OrgID: tenant1\' (repeatable)' -r
complete -c lviz -n "__fish_lviz_needs_command" -l prometheus-user -d 'Basic-auth user; the password comes from LVIZ_PROMETHEUS_PASSWORD' -r
complete -c lviz -n "__fish_lviz_needs_command" -l viz-namespace -d 'Namespace of linkerd-viz, for finding its Prometheus (default: the namespace labelled linkerd.io/extension=viz)' -r
complete -c lviz -n "__fish_lviz_needs_command" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)' -r -F
complete -c lviz -n "__fish_lviz_needs_command" -l context -d 'Kubeconfig context to use for this call' -r
complete -c lviz -n "__fish_lviz_needs_command" -l api-addr -d 'Ask this metrics API (`lviz serve`, e.g. http://localhost:8085) instead of querying Prometheus and Kubernetes directly' -r
complete -c lviz -n "__fish_lviz_needs_command" -s n -l namespace -d 'Namespace of the resources (default: the context\'s namespace, else `default`)' -r
complete -c lviz -n "__fish_lviz_needs_command" -s t -l time-window -d 'Time window of the metrics (Go duration: 30s, 1m, 1h30m)' -r
complete -c lviz -n "__fish_lviz_needs_command" -l at -d 'Evaluate every query at this instant instead of now (RFC 3339 or Unix seconds)' -r
complete -c lviz -n "__fish_lviz_needs_command" -l request-timeout -d 'Give up after this long: one deadline for every backend call of a request (of each refresh with --watch)' -r
complete -c lviz -n "__fish_lviz_needs_command" -l max-answer-size -d 'Refuse a backend answer larger than this (bytes, or KiB, MiB, GiB, KB, MB, GB)' -r
complete -c lviz -n "__fish_lviz_needs_command" -l query-plan -d 'How latency percentiles are asked of Prometheus: `lviz` (the bucket rates once, the percentiles computed with Prometheus\'s own rule) or `linkerd` (Linkerd\'s three `histogram_quantile` queries). Both give the same numbers' -r -f -a "lviz\t''
linkerd\t''"
complete -c lviz -n "__fish_lviz_needs_command" -s o -l output -d 'Output format: table, wide or json' -r
complete -c lviz -n "__fish_lviz_needs_command" -l sort-by -d 'Sort rows by COLUMN, e.g. rps, success, p99, name; prefix with - for descending (rows without data last)' -r
complete -c lviz -n "__fish_lviz_needs_command" -l color -d 'Color success and latency cells by health: success >= 99% green, >= 95% yellow, else red; latency < 100ms green, < 500ms yellow, else red. auto: only on a terminal, NO_COLOR unset (CLICOLOR_FORCE or FORCE_COLOR force it on)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c lviz -n "__fish_lviz_needs_command" -l watch -d 'Refresh every INTERVAL (default 2s): redraw in place on a terminal; when piped, one table per refresh separated by a blank line, or one JSON document per line with -o json. With --at, the evaluation time advances by INTERVAL each refresh' -r
complete -c lviz -n "__fish_lviz_needs_command" -l watch-count -d 'With --watch: stop after N refreshes' -r
complete -c lviz -n "__fish_lviz_needs_command" -l fail-if -d 'Exit 3 when a row breaches EXPR: METRIC OP VALUE with OP one of < <= > >=; metrics success (99.5% or 0.995), rps, p50, p95, p99 (250ms, 1s), and for stat tcp, read, write (bytes/s), for routes actual_success, actual_rps. Repeatable; rows without traffic are skipped' -r
complete -c lviz -n "__fish_lviz_needs_command" -l no-kube -d 'Do not use Kubernetes: rows come from metric labels; pod counts and other Kubernetes-only values are shown as unknown'
complete -c lviz -n "__fish_lviz_needs_command" -s v -l verbose -d 'Say on stderr which Prometheus and Kubernetes API are used'
complete -c lviz -n "__fish_lviz_needs_command" -s A -l all-namespaces -d 'Look in every namespace'
complete -c lviz -n "__fish_lviz_needs_command" -l no-headers -d 'Do not print column headers (table and wide)'
complete -c lviz -n "__fish_lviz_needs_command" -l fail-on-no-traffic -d 'With --fail-if: a row without traffic (or an empty result) fails every gate'
complete -c lviz -n "__fish_lviz_needs_command" -s h -l help -d 'Print help'
complete -c lviz -n "__fish_lviz_needs_command" -s V -l version -d 'Print version'
complete -c lviz -n "__fish_lviz_needs_command" -f -a "stat" -d 'Golden metrics per resource: meshed pods, success rate, RPS, latency percentiles, TCP'
complete -c lviz -n "__fish_lviz_needs_command" -f -a "routes" -d 'Per-route metrics from ServiceProfiles'
complete -c lviz -n "__fish_lviz_needs_command" -f -a "edges" -d 'Connections between resources and their mTLS identities'
complete -c lviz -n "__fish_lviz_needs_command" -f -a "gateways" -d 'Multicluster gateways: alive, paired services, probe latency'
complete -c lviz -n "__fish_lviz_needs_command" -f -a "serve" -d 'Serve the Linkerd Viz metrics API over HTTP (POST /api/v1/stat, top-routes, edges, gateways)'
complete -c lviz -n "__fish_lviz_needs_command" -f -a "completions" -d 'Print a shell completion script to stdout'
complete -c lviz -n "__fish_lviz_needs_command" -f -a "generate-man" -d 'Write the man pages (lviz.1, lviz-stat.1, ...) into DIR'
complete -c lviz -n "__fish_lviz_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c lviz -n "__fish_lviz_using_subcommand stat" -l to -d 'Only requests sent to this resource (TYPE[/NAME])' -r
complete -c lviz -n "__fish_lviz_using_subcommand stat" -l to-namespace -d 'Namespace of the --to resource (default: the target\'s namespace)' -r
complete -c lviz -n "__fish_lviz_using_subcommand stat" -l from -d 'Only requests from this resource (TYPE[/NAME])' -r
complete -c lviz -n "__fish_lviz_using_subcommand stat" -l from-namespace -d 'Namespace of the --from resource (default: the target\'s namespace)' -r
complete -c lviz -n "__fish_lviz_using_subcommand stat" -s l -l selector -d 'Kubernetes label selector for the listed objects' -r
complete -c lviz -n "__fish_lviz_using_subcommand stat" -l prometheus-url -d 'Prometheus base URL (a path prefix is fine: http://vmselect:8481/select/0/prometheus) (default: find linkerd-viz\'s Prometheus through Kubernetes)' -r
complete -c lviz -n "__fish_lviz_using_subcommand stat" -l prometheus-http-config -d 'Prometheus HTTP client config (promtool\'s --http.config.file format: basic_auth, authorization, tls_config, http_headers)' -r -F
complete -c lviz -n "__fish_lviz_using_subcommand stat" -l prometheus-bearer-token-file -d 'Send `Authorization: Bearer <token>` with the token read from FILE' -r -F
complete -c lviz -n "__fish_lviz_using_subcommand stat" -l prometheus-bearer-token-env -d 'Send `Authorization: Bearer <token>` with the token read from environment variable VAR (default: LVIZ_PROMETHEUS_TOKEN when set)' -r
complete -c lviz -n "__fish_lviz_using_subcommand stat" -l prometheus-header -d 'Extra request header, e.g. \'X-Scope-OrgID: tenant1\' (repeatable)' -r
complete -c lviz -n "__fish_lviz_using_subcommand stat" -l prometheus-user -d 'Basic-auth user; the password comes from LVIZ_PROMETHEUS_PASSWORD' -r
complete -c lviz -n "__fish_lviz_using_subcommand stat" -l viz-namespace -d 'Namespace of linkerd-viz, for finding its Prometheus (default: the namespace labelled linkerd.io/extension=viz)' -r
complete -c lviz -n "__fish_lviz_using_subcommand stat" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)' -r -F
complete -c lviz -n "__fish_lviz_using_subcommand stat" -l context -d 'Kubeconfig context to use for this call' -r
complete -c lviz -n "__fish_lviz_using_subcommand stat" -l api-addr -d 'Ask this metrics API (`lviz serve`, e.g. http://localhost:8085) instead of querying Prometheus and Kubernetes directly' -r
complete -c lviz -n "__fish_lviz_using_subcommand stat" -s n -l namespace -d 'Namespace of the resources (default: the context\'s namespace, else `default`)' -r
complete -c lviz -n "__fish_lviz_using_subcommand stat" -s t -l time-window -d 'Time window of the metrics (Go duration: 30s, 1m, 1h30m)' -r
complete -c lviz -n "__fish_lviz_using_subcommand stat" -l at -d 'Evaluate every query at this instant instead of now (RFC 3339 or Unix seconds)' -r
complete -c lviz -n "__fish_lviz_using_subcommand stat" -l request-timeout -d 'Give up after this long: one deadline for every backend call of a request (of each refresh with --watch)' -r
complete -c lviz -n "__fish_lviz_using_subcommand stat" -l max-answer-size -d 'Refuse a backend answer larger than this (bytes, or KiB, MiB, GiB, KB, MB, GB)' -r
complete -c lviz -n "__fish_lviz_using_subcommand stat" -l query-plan -d 'How latency percentiles are asked of Prometheus: `lviz` (the bucket rates once, the percentiles computed with Prometheus\'s own rule) or `linkerd` (Linkerd\'s three `histogram_quantile` queries). Both give the same numbers' -r -f -a "lviz\t''
linkerd\t''"
complete -c lviz -n "__fish_lviz_using_subcommand stat" -s o -l output -d 'Output format: table, wide or json' -r
complete -c lviz -n "__fish_lviz_using_subcommand stat" -l sort-by -d 'Sort rows by COLUMN, e.g. rps, success, p99, name; prefix with - for descending (rows without data last)' -r
complete -c lviz -n "__fish_lviz_using_subcommand stat" -l color -d 'Color success and latency cells by health: success >= 99% green, >= 95% yellow, else red; latency < 100ms green, < 500ms yellow, else red. auto: only on a terminal, NO_COLOR unset (CLICOLOR_FORCE or FORCE_COLOR force it on)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c lviz -n "__fish_lviz_using_subcommand stat" -l watch -d 'Refresh every INTERVAL (default 2s): redraw in place on a terminal; when piped, one table per refresh separated by a blank line, or one JSON document per line with -o json. With --at, the evaluation time advances by INTERVAL each refresh' -r
complete -c lviz -n "__fish_lviz_using_subcommand stat" -l watch-count -d 'With --watch: stop after N refreshes' -r
complete -c lviz -n "__fish_lviz_using_subcommand stat" -l fail-if -d 'Exit 3 when a row breaches EXPR: METRIC OP VALUE with OP one of < <= > >=; metrics success (99.5% or 0.995), rps, p50, p95, p99 (250ms, 1s), and for stat tcp, read, write (bytes/s), for routes actual_success, actual_rps. Repeatable; rows without traffic are skipped' -r
complete -c lviz -n "__fish_lviz_using_subcommand stat" -l unmeshed -d 'Also show resources that have no meshed pods'
complete -c lviz -n "__fish_lviz_using_subcommand stat" -l no-kube -d 'Do not use Kubernetes: rows come from metric labels; pod counts and other Kubernetes-only values are shown as unknown'
complete -c lviz -n "__fish_lviz_using_subcommand stat" -s v -l verbose -d 'Say on stderr which Prometheus and Kubernetes API are used'
complete -c lviz -n "__fish_lviz_using_subcommand stat" -s A -l all-namespaces -d 'Look in every namespace'
complete -c lviz -n "__fish_lviz_using_subcommand stat" -l no-headers -d 'Do not print column headers (table and wide)'
complete -c lviz -n "__fish_lviz_using_subcommand stat" -l fail-on-no-traffic -d 'With --fail-if: a row without traffic (or an empty result) fails every gate'
complete -c lviz -n "__fish_lviz_using_subcommand stat" -s h -l help -d 'Print help'
complete -c lviz -n "__fish_lviz_using_subcommand stat" -s V -l version -d 'Print version'
complete -c lviz -n "__fish_lviz_using_subcommand routes" -l to -d 'Show outbound routes to this resource (TYPE[/NAME])' -r
complete -c lviz -n "__fish_lviz_using_subcommand routes" -l to-namespace -d 'Namespace of the --to resource (default: the target\'s namespace)' -r
complete -c lviz -n "__fish_lviz_using_subcommand routes" -s l -l selector -d 'Kubernetes label selector for the listed objects' -r
complete -c lviz -n "__fish_lviz_using_subcommand routes" -l prometheus-url -d 'Prometheus base URL (a path prefix is fine: http://vmselect:8481/select/0/prometheus) (default: find linkerd-viz\'s Prometheus through Kubernetes)' -r
complete -c lviz -n "__fish_lviz_using_subcommand routes" -l prometheus-http-config -d 'Prometheus HTTP client config (promtool\'s --http.config.file format: basic_auth, authorization, tls_config, http_headers)' -r -F
complete -c lviz -n "__fish_lviz_using_subcommand routes" -l prometheus-bearer-token-file -d 'Send `Authorization: Bearer <token>` with the token read from FILE' -r -F
complete -c lviz -n "__fish_lviz_using_subcommand routes" -l prometheus-bearer-token-env -d 'Send `Authorization: Bearer <token>` with the token read from environment variable VAR (default: LVIZ_PROMETHEUS_TOKEN when set)' -r
complete -c lviz -n "__fish_lviz_using_subcommand routes" -l prometheus-header -d 'Extra request header, e.g. \'X-Scope-OrgID: tenant1\' (repeatable)' -r
complete -c lviz -n "__fish_lviz_using_subcommand routes" -l prometheus-user -d 'Basic-auth user; the password comes from LVIZ_PROMETHEUS_PASSWORD' -r
complete -c lviz -n "__fish_lviz_using_subcommand routes" -l viz-namespace -d 'Namespace of linkerd-viz, for finding its Prometheus (default: the namespace labelled linkerd.io/extension=viz)' -r
complete -c lviz -n "__fish_lviz_using_subcommand routes" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)' -r -F
complete -c lviz -n "__fish_lviz_using_subcommand routes" -l context -d 'Kubeconfig context to use for this call' -r
complete -c lviz -n "__fish_lviz_using_subcommand routes" -l api-addr -d 'Ask this metrics API (`lviz serve`, e.g. http://localhost:8085) instead of querying Prometheus and Kubernetes directly' -r
complete -c lviz -n "__fish_lviz_using_subcommand routes" -s n -l namespace -d 'Namespace of the resources (default: the context\'s namespace, else `default`)' -r
complete -c lviz -n "__fish_lviz_using_subcommand routes" -s t -l time-window -d 'Time window of the metrics (Go duration: 30s, 1m, 1h30m)' -r
complete -c lviz -n "__fish_lviz_using_subcommand routes" -l at -d 'Evaluate every query at this instant instead of now (RFC 3339 or Unix seconds)' -r
complete -c lviz -n "__fish_lviz_using_subcommand routes" -l request-timeout -d 'Give up after this long: one deadline for every backend call of a request (of each refresh with --watch)' -r
complete -c lviz -n "__fish_lviz_using_subcommand routes" -l max-answer-size -d 'Refuse a backend answer larger than this (bytes, or KiB, MiB, GiB, KB, MB, GB)' -r
complete -c lviz -n "__fish_lviz_using_subcommand routes" -l query-plan -d 'How latency percentiles are asked of Prometheus: `lviz` (the bucket rates once, the percentiles computed with Prometheus\'s own rule) or `linkerd` (Linkerd\'s three `histogram_quantile` queries). Both give the same numbers' -r -f -a "lviz\t''
linkerd\t''"
complete -c lviz -n "__fish_lviz_using_subcommand routes" -s o -l output -d 'Output format: table, wide or json' -r
complete -c lviz -n "__fish_lviz_using_subcommand routes" -l sort-by -d 'Sort rows by COLUMN, e.g. rps, success, p99, name; prefix with - for descending (rows without data last)' -r
complete -c lviz -n "__fish_lviz_using_subcommand routes" -l color -d 'Color success and latency cells by health: success >= 99% green, >= 95% yellow, else red; latency < 100ms green, < 500ms yellow, else red. auto: only on a terminal, NO_COLOR unset (CLICOLOR_FORCE or FORCE_COLOR force it on)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c lviz -n "__fish_lviz_using_subcommand routes" -l watch -d 'Refresh every INTERVAL (default 2s): redraw in place on a terminal; when piped, one table per refresh separated by a blank line, or one JSON document per line with -o json. With --at, the evaluation time advances by INTERVAL each refresh' -r
complete -c lviz -n "__fish_lviz_using_subcommand routes" -l watch-count -d 'With --watch: stop after N refreshes' -r
complete -c lviz -n "__fish_lviz_using_subcommand routes" -l fail-if -d 'Exit 3 when a row breaches EXPR: METRIC OP VALUE with OP one of < <= > >=; metrics success (99.5% or 0.995), rps, p50, p95, p99 (250ms, 1s), and for stat tcp, read, write (bytes/s), for routes actual_success, actual_rps. Repeatable; rows without traffic are skipped' -r
complete -c lviz -n "__fish_lviz_using_subcommand routes" -l no-kube -d 'Do not use Kubernetes: rows come from metric labels; pod counts and other Kubernetes-only values are shown as unknown'
complete -c lviz -n "__fish_lviz_using_subcommand routes" -s v -l verbose -d 'Say on stderr which Prometheus and Kubernetes API are used'
complete -c lviz -n "__fish_lviz_using_subcommand routes" -s A -l all-namespaces -d 'Look in every namespace'
complete -c lviz -n "__fish_lviz_using_subcommand routes" -l no-headers -d 'Do not print column headers (table and wide)'
complete -c lviz -n "__fish_lviz_using_subcommand routes" -l fail-on-no-traffic -d 'With --fail-if: a row without traffic (or an empty result) fails every gate'
complete -c lviz -n "__fish_lviz_using_subcommand routes" -s h -l help -d 'Print help'
complete -c lviz -n "__fish_lviz_using_subcommand routes" -s V -l version -d 'Print version'
complete -c lviz -n "__fish_lviz_using_subcommand edges" -l prometheus-url -d 'Prometheus base URL (a path prefix is fine: http://vmselect:8481/select/0/prometheus) (default: find linkerd-viz\'s Prometheus through Kubernetes)' -r
complete -c lviz -n "__fish_lviz_using_subcommand edges" -l prometheus-http-config -d 'Prometheus HTTP client config (promtool\'s --http.config.file format: basic_auth, authorization, tls_config, http_headers)' -r -F
complete -c lviz -n "__fish_lviz_using_subcommand edges" -l prometheus-bearer-token-file -d 'Send `Authorization: Bearer <token>` with the token read from FILE' -r -F
complete -c lviz -n "__fish_lviz_using_subcommand edges" -l prometheus-bearer-token-env -d 'Send `Authorization: Bearer <token>` with the token read from environment variable VAR (default: LVIZ_PROMETHEUS_TOKEN when set)' -r
complete -c lviz -n "__fish_lviz_using_subcommand edges" -l prometheus-header -d 'Extra request header, e.g. \'X-Scope-OrgID: tenant1\' (repeatable)' -r
complete -c lviz -n "__fish_lviz_using_subcommand edges" -l prometheus-user -d 'Basic-auth user; the password comes from LVIZ_PROMETHEUS_PASSWORD' -r
complete -c lviz -n "__fish_lviz_using_subcommand edges" -l viz-namespace -d 'Namespace of linkerd-viz, for finding its Prometheus (default: the namespace labelled linkerd.io/extension=viz)' -r
complete -c lviz -n "__fish_lviz_using_subcommand edges" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)' -r -F
complete -c lviz -n "__fish_lviz_using_subcommand edges" -l context -d 'Kubeconfig context to use for this call' -r
complete -c lviz -n "__fish_lviz_using_subcommand edges" -l api-addr -d 'Ask this metrics API (`lviz serve`, e.g. http://localhost:8085) instead of querying Prometheus and Kubernetes directly' -r
complete -c lviz -n "__fish_lviz_using_subcommand edges" -s n -l namespace -d 'Namespace of the resources (default: the context\'s namespace, else `default`)' -r
complete -c lviz -n "__fish_lviz_using_subcommand edges" -s t -l time-window -d 'Time window of the metrics (Go duration: 30s, 1m, 1h30m)' -r
complete -c lviz -n "__fish_lviz_using_subcommand edges" -l at -d 'Evaluate every query at this instant instead of now (RFC 3339 or Unix seconds)' -r
complete -c lviz -n "__fish_lviz_using_subcommand edges" -l request-timeout -d 'Give up after this long: one deadline for every backend call of a request (of each refresh with --watch)' -r
complete -c lviz -n "__fish_lviz_using_subcommand edges" -l max-answer-size -d 'Refuse a backend answer larger than this (bytes, or KiB, MiB, GiB, KB, MB, GB)' -r
complete -c lviz -n "__fish_lviz_using_subcommand edges" -l query-plan -d 'How latency percentiles are asked of Prometheus: `lviz` (the bucket rates once, the percentiles computed with Prometheus\'s own rule) or `linkerd` (Linkerd\'s three `histogram_quantile` queries). Both give the same numbers' -r -f -a "lviz\t''
linkerd\t''"
complete -c lviz -n "__fish_lviz_using_subcommand edges" -s o -l output -d 'Output format: table, wide or json' -r
complete -c lviz -n "__fish_lviz_using_subcommand edges" -l sort-by -d 'Sort rows by COLUMN, e.g. rps, success, p99, name; prefix with - for descending (rows without data last)' -r
complete -c lviz -n "__fish_lviz_using_subcommand edges" -l color -d 'Color success and latency cells by health: success >= 99% green, >= 95% yellow, else red; latency < 100ms green, < 500ms yellow, else red. auto: only on a terminal, NO_COLOR unset (CLICOLOR_FORCE or FORCE_COLOR force it on)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c lviz -n "__fish_lviz_using_subcommand edges" -l watch -d 'Refresh every INTERVAL (default 2s): redraw in place on a terminal; when piped, one table per refresh separated by a blank line, or one JSON document per line with -o json. With --at, the evaluation time advances by INTERVAL each refresh' -r
complete -c lviz -n "__fish_lviz_using_subcommand edges" -l watch-count -d 'With --watch: stop after N refreshes' -r
complete -c lviz -n "__fish_lviz_using_subcommand edges" -l fail-if -d 'Exit 3 when a row breaches EXPR: METRIC OP VALUE with OP one of < <= > >=; metrics success (99.5% or 0.995), rps, p50, p95, p99 (250ms, 1s), and for stat tcp, read, write (bytes/s), for routes actual_success, actual_rps. Repeatable; rows without traffic are skipped' -r
complete -c lviz -n "__fish_lviz_using_subcommand edges" -l no-kube -d 'Do not use Kubernetes: rows come from metric labels; pod counts and other Kubernetes-only values are shown as unknown'
complete -c lviz -n "__fish_lviz_using_subcommand edges" -s v -l verbose -d 'Say on stderr which Prometheus and Kubernetes API are used'
complete -c lviz -n "__fish_lviz_using_subcommand edges" -s A -l all-namespaces -d 'Look in every namespace'
complete -c lviz -n "__fish_lviz_using_subcommand edges" -l no-headers -d 'Do not print column headers (table and wide)'
complete -c lviz -n "__fish_lviz_using_subcommand edges" -l fail-on-no-traffic -d 'With --fail-if: a row without traffic (or an empty result) fails every gate'
complete -c lviz -n "__fish_lviz_using_subcommand edges" -s h -l help -d 'Print help'
complete -c lviz -n "__fish_lviz_using_subcommand edges" -s V -l version -d 'Print version'
complete -c lviz -n "__fish_lviz_using_subcommand gateways" -l cluster-name -d 'Only the gateway of this target cluster' -r
complete -c lviz -n "__fish_lviz_using_subcommand gateways" -l gateway-namespace -d 'Only gateways in this namespace' -r
complete -c lviz -n "__fish_lviz_using_subcommand gateways" -l prometheus-url -d 'Prometheus base URL (a path prefix is fine: http://vmselect:8481/select/0/prometheus) (default: find linkerd-viz\'s Prometheus through Kubernetes)' -r
complete -c lviz -n "__fish_lviz_using_subcommand gateways" -l prometheus-http-config -d 'Prometheus HTTP client config (promtool\'s --http.config.file format: basic_auth, authorization, tls_config, http_headers)' -r -F
complete -c lviz -n "__fish_lviz_using_subcommand gateways" -l prometheus-bearer-token-file -d 'Send `Authorization: Bearer <token>` with the token read from FILE' -r -F
complete -c lviz -n "__fish_lviz_using_subcommand gateways" -l prometheus-bearer-token-env -d 'Send `Authorization: Bearer <token>` with the token read from environment variable VAR (default: LVIZ_PROMETHEUS_TOKEN when set)' -r
complete -c lviz -n "__fish_lviz_using_subcommand gateways" -l prometheus-header -d 'Extra request header, e.g. \'X-Scope-OrgID: tenant1\' (repeatable)' -r
complete -c lviz -n "__fish_lviz_using_subcommand gateways" -l prometheus-user -d 'Basic-auth user; the password comes from LVIZ_PROMETHEUS_PASSWORD' -r
complete -c lviz -n "__fish_lviz_using_subcommand gateways" -l viz-namespace -d 'Namespace of linkerd-viz, for finding its Prometheus (default: the namespace labelled linkerd.io/extension=viz)' -r
complete -c lviz -n "__fish_lviz_using_subcommand gateways" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)' -r -F
complete -c lviz -n "__fish_lviz_using_subcommand gateways" -l context -d 'Kubeconfig context to use for this call' -r
complete -c lviz -n "__fish_lviz_using_subcommand gateways" -l api-addr -d 'Ask this metrics API (`lviz serve`, e.g. http://localhost:8085) instead of querying Prometheus and Kubernetes directly' -r
complete -c lviz -n "__fish_lviz_using_subcommand gateways" -s n -l namespace -d 'Namespace of the resources (default: the context\'s namespace, else `default`)' -r
complete -c lviz -n "__fish_lviz_using_subcommand gateways" -s t -l time-window -d 'Time window of the metrics (Go duration: 30s, 1m, 1h30m)' -r
complete -c lviz -n "__fish_lviz_using_subcommand gateways" -l at -d 'Evaluate every query at this instant instead of now (RFC 3339 or Unix seconds)' -r
complete -c lviz -n "__fish_lviz_using_subcommand gateways" -l request-timeout -d 'Give up after this long: one deadline for every backend call of a request (of each refresh with --watch)' -r
complete -c lviz -n "__fish_lviz_using_subcommand gateways" -l max-answer-size -d 'Refuse a backend answer larger than this (bytes, or KiB, MiB, GiB, KB, MB, GB)' -r
complete -c lviz -n "__fish_lviz_using_subcommand gateways" -l query-plan -d 'How latency percentiles are asked of Prometheus: `lviz` (the bucket rates once, the percentiles computed with Prometheus\'s own rule) or `linkerd` (Linkerd\'s three `histogram_quantile` queries). Both give the same numbers' -r -f -a "lviz\t''
linkerd\t''"
complete -c lviz -n "__fish_lviz_using_subcommand gateways" -s o -l output -d 'Output format: table, wide or json' -r
complete -c lviz -n "__fish_lviz_using_subcommand gateways" -l sort-by -d 'Sort rows by COLUMN, e.g. rps, success, p99, name; prefix with - for descending (rows without data last)' -r
complete -c lviz -n "__fish_lviz_using_subcommand gateways" -l color -d 'Color success and latency cells by health: success >= 99% green, >= 95% yellow, else red; latency < 100ms green, < 500ms yellow, else red. auto: only on a terminal, NO_COLOR unset (CLICOLOR_FORCE or FORCE_COLOR force it on)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c lviz -n "__fish_lviz_using_subcommand gateways" -l watch -d 'Refresh every INTERVAL (default 2s): redraw in place on a terminal; when piped, one table per refresh separated by a blank line, or one JSON document per line with -o json. With --at, the evaluation time advances by INTERVAL each refresh' -r
complete -c lviz -n "__fish_lviz_using_subcommand gateways" -l watch-count -d 'With --watch: stop after N refreshes' -r
complete -c lviz -n "__fish_lviz_using_subcommand gateways" -l fail-if -d 'Exit 3 when a row breaches EXPR: METRIC OP VALUE with OP one of < <= > >=; metrics success (99.5% or 0.995), rps, p50, p95, p99 (250ms, 1s), and for stat tcp, read, write (bytes/s), for routes actual_success, actual_rps. Repeatable; rows without traffic are skipped' -r
complete -c lviz -n "__fish_lviz_using_subcommand gateways" -l no-kube -d 'Do not use Kubernetes: rows come from metric labels; pod counts and other Kubernetes-only values are shown as unknown'
complete -c lviz -n "__fish_lviz_using_subcommand gateways" -s v -l verbose -d 'Say on stderr which Prometheus and Kubernetes API are used'
complete -c lviz -n "__fish_lviz_using_subcommand gateways" -s A -l all-namespaces -d 'Look in every namespace'
complete -c lviz -n "__fish_lviz_using_subcommand gateways" -l no-headers -d 'Do not print column headers (table and wide)'
complete -c lviz -n "__fish_lviz_using_subcommand gateways" -l fail-on-no-traffic -d 'With --fail-if: a row without traffic (or an empty result) fails every gate'
complete -c lviz -n "__fish_lviz_using_subcommand gateways" -s h -l help -d 'Print help'
complete -c lviz -n "__fish_lviz_using_subcommand gateways" -s V -l version -d 'Print version'
complete -c lviz -n "__fish_lviz_using_subcommand serve" -l addr -d 'Address to listen on (port 0 picks a free port, printed on stderr)' -r
complete -c lviz -n "__fish_lviz_using_subcommand serve" -l max-concurrent-queries -d 'Queries outstanding towards Prometheus at once' -r
complete -c lviz -n "__fish_lviz_using_subcommand serve" -l cache-ttl -d 'Reuse whole answers for this long (0s: off); "now" requests share 10 s buckets' -r
complete -c lviz -n "__fish_lviz_using_subcommand serve" -l cache-stale-for -d 'After the TTL, keep serving an answer this long while one refresh replaces it (0s: wait)' -r
complete -c lviz -n "__fish_lviz_using_subcommand serve" -l handler-timeout -d 'Answer 504 when a request takes longer than this' -r
complete -c lviz -n "__fish_lviz_using_subcommand serve" -l header-read-timeout -d 'Close a connection whose request headers (or body: 408) do not arrive within this; also how long an idle keep-alive connection is kept' -r
complete -c lviz -n "__fish_lviz_using_subcommand serve" -l max-connections -d 'Connections held at once; past it a connection gets 503 and is closed' -r
complete -c lviz -n "__fish_lviz_using_subcommand serve" -l prometheus-url -d 'Prometheus base URL (a path prefix is fine: http://vmselect:8481/select/0/prometheus) (default: find linkerd-viz\'s Prometheus through Kubernetes)' -r
complete -c lviz -n "__fish_lviz_using_subcommand serve" -l prometheus-http-config -d 'Prometheus HTTP client config (promtool\'s --http.config.file format: basic_auth, authorization, tls_config, http_headers)' -r -F
complete -c lviz -n "__fish_lviz_using_subcommand serve" -l prometheus-bearer-token-file -d 'Send `Authorization: Bearer <token>` with the token read from FILE' -r -F
complete -c lviz -n "__fish_lviz_using_subcommand serve" -l prometheus-bearer-token-env -d 'Send `Authorization: Bearer <token>` with the token read from environment variable VAR (default: LVIZ_PROMETHEUS_TOKEN when set)' -r
complete -c lviz -n "__fish_lviz_using_subcommand serve" -l prometheus-header -d 'Extra request header, e.g. \'X-Scope-OrgID: tenant1\' (repeatable)' -r
complete -c lviz -n "__fish_lviz_using_subcommand serve" -l prometheus-user -d 'Basic-auth user; the password comes from LVIZ_PROMETHEUS_PASSWORD' -r
complete -c lviz -n "__fish_lviz_using_subcommand serve" -l viz-namespace -d 'Namespace of linkerd-viz, for finding its Prometheus (default: the namespace labelled linkerd.io/extension=viz)' -r
complete -c lviz -n "__fish_lviz_using_subcommand serve" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)' -r -F
complete -c lviz -n "__fish_lviz_using_subcommand serve" -l context -d 'Kubeconfig context to use for this call' -r
complete -c lviz -n "__fish_lviz_using_subcommand serve" -l api-addr -d 'Ask this metrics API (`lviz serve`, e.g. http://localhost:8085) instead of querying Prometheus and Kubernetes directly' -r
complete -c lviz -n "__fish_lviz_using_subcommand serve" -s n -l namespace -d 'Namespace of the resources (default: the context\'s namespace, else `default`)' -r
complete -c lviz -n "__fish_lviz_using_subcommand serve" -s t -l time-window -d 'Time window of the metrics (Go duration: 30s, 1m, 1h30m)' -r
complete -c lviz -n "__fish_lviz_using_subcommand serve" -l at -d 'Evaluate every query at this instant instead of now (RFC 3339 or Unix seconds)' -r
complete -c lviz -n "__fish_lviz_using_subcommand serve" -l request-timeout -d 'Give up after this long: one deadline for every backend call of a request (of each refresh with --watch)' -r
complete -c lviz -n "__fish_lviz_using_subcommand serve" -l max-answer-size -d 'Refuse a backend answer larger than this (bytes, or KiB, MiB, GiB, KB, MB, GB)' -r
complete -c lviz -n "__fish_lviz_using_subcommand serve" -l query-plan -d 'How latency percentiles are asked of Prometheus: `lviz` (the bucket rates once, the percentiles computed with Prometheus\'s own rule) or `linkerd` (Linkerd\'s three `histogram_quantile` queries). Both give the same numbers' -r -f -a "lviz\t''
linkerd\t''"
complete -c lviz -n "__fish_lviz_using_subcommand serve" -s o -l output -d 'Output format: table, wide or json' -r
complete -c lviz -n "__fish_lviz_using_subcommand serve" -l sort-by -d 'Sort rows by COLUMN, e.g. rps, success, p99, name; prefix with - for descending (rows without data last)' -r
complete -c lviz -n "__fish_lviz_using_subcommand serve" -l color -d 'Color success and latency cells by health: success >= 99% green, >= 95% yellow, else red; latency < 100ms green, < 500ms yellow, else red. auto: only on a terminal, NO_COLOR unset (CLICOLOR_FORCE or FORCE_COLOR force it on)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c lviz -n "__fish_lviz_using_subcommand serve" -l watch -d 'Refresh every INTERVAL (default 2s): redraw in place on a terminal; when piped, one table per refresh separated by a blank line, or one JSON document per line with -o json. With --at, the evaluation time advances by INTERVAL each refresh' -r
complete -c lviz -n "__fish_lviz_using_subcommand serve" -l watch-count -d 'With --watch: stop after N refreshes' -r
complete -c lviz -n "__fish_lviz_using_subcommand serve" -l fail-if -d 'Exit 3 when a row breaches EXPR: METRIC OP VALUE with OP one of < <= > >=; metrics success (99.5% or 0.995), rps, p50, p95, p99 (250ms, 1s), and for stat tcp, read, write (bytes/s), for routes actual_success, actual_rps. Repeatable; rows without traffic are skipped' -r
complete -c lviz -n "__fish_lviz_using_subcommand serve" -l access-log -d 'Log one line per request on stderr (key=value: ts, method, path, status, duration_ms)'
complete -c lviz -n "__fish_lviz_using_subcommand serve" -l no-kube -d 'Do not use Kubernetes: rows come from metric labels; pod counts and other Kubernetes-only values are shown as unknown'
complete -c lviz -n "__fish_lviz_using_subcommand serve" -s v -l verbose -d 'Say on stderr which Prometheus and Kubernetes API are used'
complete -c lviz -n "__fish_lviz_using_subcommand serve" -s A -l all-namespaces -d 'Look in every namespace'
complete -c lviz -n "__fish_lviz_using_subcommand serve" -l no-headers -d 'Do not print column headers (table and wide)'
complete -c lviz -n "__fish_lviz_using_subcommand serve" -l fail-on-no-traffic -d 'With --fail-if: a row without traffic (or an empty result) fails every gate'
complete -c lviz -n "__fish_lviz_using_subcommand serve" -s h -l help -d 'Print help'
complete -c lviz -n "__fish_lviz_using_subcommand serve" -s V -l version -d 'Print version'
complete -c lviz -n "__fish_lviz_using_subcommand completions" -l prometheus-url -d 'Prometheus base URL (a path prefix is fine: http://vmselect:8481/select/0/prometheus) (default: find linkerd-viz\'s Prometheus through Kubernetes)' -r
complete -c lviz -n "__fish_lviz_using_subcommand completions" -l prometheus-http-config -d 'Prometheus HTTP client config (promtool\'s --http.config.file format: basic_auth, authorization, tls_config, http_headers)' -r -F
complete -c lviz -n "__fish_lviz_using_subcommand completions" -l prometheus-bearer-token-file -d 'Send `Authorization: Bearer <token>` with the token read from FILE' -r -F
complete -c lviz -n "__fish_lviz_using_subcommand completions" -l prometheus-bearer-token-env -d 'Send `Authorization: Bearer <token>` with the token read from environment variable VAR (default: LVIZ_PROMETHEUS_TOKEN when set)' -r
complete -c lviz -n "__fish_lviz_using_subcommand completions" -l prometheus-header -d 'Extra request header, e.g. \'X-Scope-OrgID: tenant1\' (repeatable)' -r
complete -c lviz -n "__fish_lviz_using_subcommand completions" -l prometheus-user -d 'Basic-auth user; the password comes from LVIZ_PROMETHEUS_PASSWORD' -r
complete -c lviz -n "__fish_lviz_using_subcommand completions" -l viz-namespace -d 'Namespace of linkerd-viz, for finding its Prometheus (default: the namespace labelled linkerd.io/extension=viz)' -r
complete -c lviz -n "__fish_lviz_using_subcommand completions" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)' -r -F
complete -c lviz -n "__fish_lviz_using_subcommand completions" -l context -d 'Kubeconfig context to use for this call' -r
complete -c lviz -n "__fish_lviz_using_subcommand completions" -l api-addr -d 'Ask this metrics API (`lviz serve`, e.g. http://localhost:8085) instead of querying Prometheus and Kubernetes directly' -r
complete -c lviz -n "__fish_lviz_using_subcommand completions" -s n -l namespace -d 'Namespace of the resources (default: the context\'s namespace, else `default`)' -r
complete -c lviz -n "__fish_lviz_using_subcommand completions" -s t -l time-window -d 'Time window of the metrics (Go duration: 30s, 1m, 1h30m)' -r
complete -c lviz -n "__fish_lviz_using_subcommand completions" -l at -d 'Evaluate every query at this instant instead of now (RFC 3339 or Unix seconds)' -r
complete -c lviz -n "__fish_lviz_using_subcommand completions" -l request-timeout -d 'Give up after this long: one deadline for every backend call of a request (of each refresh with --watch)' -r
complete -c lviz -n "__fish_lviz_using_subcommand completions" -l max-answer-size -d 'Refuse a backend answer larger than this (bytes, or KiB, MiB, GiB, KB, MB, GB)' -r
complete -c lviz -n "__fish_lviz_using_subcommand completions" -l query-plan -d 'How latency percentiles are asked of Prometheus: `lviz` (the bucket rates once, the percentiles computed with Prometheus\'s own rule) or `linkerd` (Linkerd\'s three `histogram_quantile` queries). Both give the same numbers' -r -f -a "lviz\t''
linkerd\t''"
complete -c lviz -n "__fish_lviz_using_subcommand completions" -s o -l output -d 'Output format: table, wide or json' -r
complete -c lviz -n "__fish_lviz_using_subcommand completions" -l sort-by -d 'Sort rows by COLUMN, e.g. rps, success, p99, name; prefix with - for descending (rows without data last)' -r
complete -c lviz -n "__fish_lviz_using_subcommand completions" -l color -d 'Color success and latency cells by health: success >= 99% green, >= 95% yellow, else red; latency < 100ms green, < 500ms yellow, else red. auto: only on a terminal, NO_COLOR unset (CLICOLOR_FORCE or FORCE_COLOR force it on)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c lviz -n "__fish_lviz_using_subcommand completions" -l watch -d 'Refresh every INTERVAL (default 2s): redraw in place on a terminal; when piped, one table per refresh separated by a blank line, or one JSON document per line with -o json. With --at, the evaluation time advances by INTERVAL each refresh' -r
complete -c lviz -n "__fish_lviz_using_subcommand completions" -l watch-count -d 'With --watch: stop after N refreshes' -r
complete -c lviz -n "__fish_lviz_using_subcommand completions" -l fail-if -d 'Exit 3 when a row breaches EXPR: METRIC OP VALUE with OP one of < <= > >=; metrics success (99.5% or 0.995), rps, p50, p95, p99 (250ms, 1s), and for stat tcp, read, write (bytes/s), for routes actual_success, actual_rps. Repeatable; rows without traffic are skipped' -r
complete -c lviz -n "__fish_lviz_using_subcommand completions" -l no-kube -d 'Do not use Kubernetes: rows come from metric labels; pod counts and other Kubernetes-only values are shown as unknown'
complete -c lviz -n "__fish_lviz_using_subcommand completions" -s v -l verbose -d 'Say on stderr which Prometheus and Kubernetes API are used'
complete -c lviz -n "__fish_lviz_using_subcommand completions" -s A -l all-namespaces -d 'Look in every namespace'
complete -c lviz -n "__fish_lviz_using_subcommand completions" -l no-headers -d 'Do not print column headers (table and wide)'
complete -c lviz -n "__fish_lviz_using_subcommand completions" -l fail-on-no-traffic -d 'With --fail-if: a row without traffic (or an empty result) fails every gate'
complete -c lviz -n "__fish_lviz_using_subcommand completions" -s h -l help -d 'Print help'
complete -c lviz -n "__fish_lviz_using_subcommand completions" -s V -l version -d 'Print version'
complete -c lviz -n "__fish_lviz_using_subcommand generate-man" -l prometheus-url -d 'Prometheus base URL (a path prefix is fine: http://vmselect:8481/select/0/prometheus) (default: find linkerd-viz\'s Prometheus through Kubernetes)' -r
complete -c lviz -n "__fish_lviz_using_subcommand generate-man" -l prometheus-http-config -d 'Prometheus HTTP client config (promtool\'s --http.config.file format: basic_auth, authorization, tls_config, http_headers)' -r -F
complete -c lviz -n "__fish_lviz_using_subcommand generate-man" -l prometheus-bearer-token-file -d 'Send `Authorization: Bearer <token>` with the token read from FILE' -r -F
complete -c lviz -n "__fish_lviz_using_subcommand generate-man" -l prometheus-bearer-token-env -d 'Send `Authorization: Bearer <token>` with the token read from environment variable VAR (default: LVIZ_PROMETHEUS_TOKEN when set)' -r
complete -c lviz -n "__fish_lviz_using_subcommand generate-man" -l prometheus-header -d 'Extra request header, e.g. \'X-Scope-OrgID: tenant1\' (repeatable)' -r
complete -c lviz -n "__fish_lviz_using_subcommand generate-man" -l prometheus-user -d 'Basic-auth user; the password comes from LVIZ_PROMETHEUS_PASSWORD' -r
complete -c lviz -n "__fish_lviz_using_subcommand generate-man" -l viz-namespace -d 'Namespace of linkerd-viz, for finding its Prometheus (default: the namespace labelled linkerd.io/extension=viz)' -r
complete -c lviz -n "__fish_lviz_using_subcommand generate-man" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)' -r -F
complete -c lviz -n "__fish_lviz_using_subcommand generate-man" -l context -d 'Kubeconfig context to use for this call' -r
complete -c lviz -n "__fish_lviz_using_subcommand generate-man" -l api-addr -d 'Ask this metrics API (`lviz serve`, e.g. http://localhost:8085) instead of querying Prometheus and Kubernetes directly' -r
complete -c lviz -n "__fish_lviz_using_subcommand generate-man" -s n -l namespace -d 'Namespace of the resources (default: the context\'s namespace, else `default`)' -r
complete -c lviz -n "__fish_lviz_using_subcommand generate-man" -s t -l time-window -d 'Time window of the metrics (Go duration: 30s, 1m, 1h30m)' -r
complete -c lviz -n "__fish_lviz_using_subcommand generate-man" -l at -d 'Evaluate every query at this instant instead of now (RFC 3339 or Unix seconds)' -r
complete -c lviz -n "__fish_lviz_using_subcommand generate-man" -l request-timeout -d 'Give up after this long: one deadline for every backend call of a request (of each refresh with --watch)' -r
complete -c lviz -n "__fish_lviz_using_subcommand generate-man" -l max-answer-size -d 'Refuse a backend answer larger than this (bytes, or KiB, MiB, GiB, KB, MB, GB)' -r
complete -c lviz -n "__fish_lviz_using_subcommand generate-man" -l query-plan -d 'How latency percentiles are asked of Prometheus: `lviz` (the bucket rates once, the percentiles computed with Prometheus\'s own rule) or `linkerd` (Linkerd\'s three `histogram_quantile` queries). Both give the same numbers' -r -f -a "lviz\t''
linkerd\t''"
complete -c lviz -n "__fish_lviz_using_subcommand generate-man" -s o -l output -d 'Output format: table, wide or json' -r
complete -c lviz -n "__fish_lviz_using_subcommand generate-man" -l sort-by -d 'Sort rows by COLUMN, e.g. rps, success, p99, name; prefix with - for descending (rows without data last)' -r
complete -c lviz -n "__fish_lviz_using_subcommand generate-man" -l color -d 'Color success and latency cells by health: success >= 99% green, >= 95% yellow, else red; latency < 100ms green, < 500ms yellow, else red. auto: only on a terminal, NO_COLOR unset (CLICOLOR_FORCE or FORCE_COLOR force it on)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c lviz -n "__fish_lviz_using_subcommand generate-man" -l watch -d 'Refresh every INTERVAL (default 2s): redraw in place on a terminal; when piped, one table per refresh separated by a blank line, or one JSON document per line with -o json. With --at, the evaluation time advances by INTERVAL each refresh' -r
complete -c lviz -n "__fish_lviz_using_subcommand generate-man" -l watch-count -d 'With --watch: stop after N refreshes' -r
complete -c lviz -n "__fish_lviz_using_subcommand generate-man" -l fail-if -d 'Exit 3 when a row breaches EXPR: METRIC OP VALUE with OP one of < <= > >=; metrics success (99.5% or 0.995), rps, p50, p95, p99 (250ms, 1s), and for stat tcp, read, write (bytes/s), for routes actual_success, actual_rps. Repeatable; rows without traffic are skipped' -r
complete -c lviz -n "__fish_lviz_using_subcommand generate-man" -l no-kube -d 'Do not use Kubernetes: rows come from metric labels; pod counts and other Kubernetes-only values are shown as unknown'
complete -c lviz -n "__fish_lviz_using_subcommand generate-man" -s v -l verbose -d 'Say on stderr which Prometheus and Kubernetes API are used'
complete -c lviz -n "__fish_lviz_using_subcommand generate-man" -s A -l all-namespaces -d 'Look in every namespace'
complete -c lviz -n "__fish_lviz_using_subcommand generate-man" -l no-headers -d 'Do not print column headers (table and wide)'
complete -c lviz -n "__fish_lviz_using_subcommand generate-man" -l fail-on-no-traffic -d 'With --fail-if: a row without traffic (or an empty result) fails every gate'
complete -c lviz -n "__fish_lviz_using_subcommand generate-man" -s h -l help -d 'Print help'
complete -c lviz -n "__fish_lviz_using_subcommand generate-man" -s V -l version -d 'Print version'
complete -c lviz -n "__fish_lviz_using_subcommand help; and not __fish_seen_subcommand_from stat routes edges gateways serve completions generate-man help" -f -a "stat" -d 'Golden metrics per resource: meshed pods, success rate, RPS, latency percentiles, TCP'
complete -c lviz -n "__fish_lviz_using_subcommand help; and not __fish_seen_subcommand_from stat routes edges gateways serve completions generate-man help" -f -a "routes" -d 'Per-route metrics from ServiceProfiles'
complete -c lviz -n "__fish_lviz_using_subcommand help; and not __fish_seen_subcommand_from stat routes edges gateways serve completions generate-man help" -f -a "edges" -d 'Connections between resources and their mTLS identities'
complete -c lviz -n "__fish_lviz_using_subcommand help; and not __fish_seen_subcommand_from stat routes edges gateways serve completions generate-man help" -f -a "gateways" -d 'Multicluster gateways: alive, paired services, probe latency'
complete -c lviz -n "__fish_lviz_using_subcommand help; and not __fish_seen_subcommand_from stat routes edges gateways serve completions generate-man help" -f -a "serve" -d 'Serve the Linkerd Viz metrics API over HTTP (POST /api/v1/stat, top-routes, edges, gateways)'
complete -c lviz -n "__fish_lviz_using_subcommand help; and not __fish_seen_subcommand_from stat routes edges gateways serve completions generate-man help" -f -a "completions" -d 'Print a shell completion script to stdout'
complete -c lviz -n "__fish_lviz_using_subcommand help; and not __fish_seen_subcommand_from stat routes edges gateways serve completions generate-man help" -f -a "generate-man" -d 'Write the man pages (lviz.1, lviz-stat.1, ...) into DIR'
complete -c lviz -n "__fish_lviz_using_subcommand help; and not __fish_seen_subcommand_from stat routes edges gateways serve completions generate-man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
