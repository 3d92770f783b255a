# fish completion for
#
#   netns-run [--user USER] [--chdir DIR] [--] NAME [--] [COMMAND [ARGS...]]
#   netns-run -l|--list [--json]
#   netns-run --status NAME [--json]
#   netns-run --ensure NAME
#   netns-run --down NAME [--force]
#   netns-run --unit NAME
#   netns-run -h | --help | -V | --version
#
# Before NAME: the options and the namespace names in /run/netns. After
# --status, --ensure, --down and --unit: a namespace name; after --user a
# user, after --chdir a directory. After NAME (and an
# optional --): COMMAND and its arguments, completed by
# __fish_complete_subcommand as if COMMAND had been typed on its own. The
# --list/--status/... forms run no command, so nothing but their modifiers
# completes after them. Static: no Node is started to complete.
#
# Install as netns-run.fish in a directory of $fish_complete_path (for
# example /usr/share/fish/vendor_completions.d).

# Namespace names, read from /run/netns directly; only names netns-run accepts.
function __netns_run_names
    for path in /run/netns/*
        string replace -r '^.*/' '' -- $path
    end | string match -r -- '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$'
end

# Where the command line stands before the token being completed:
#   options  NAME not typed yet: the options or a namespace name
#   name     after a leading --: only a namespace name
#   optarg   right after --status, --ensure, --down or --unit: a namespace name
#   user     right after --user: a user
#   dir      right after --chdir: a directory
#   manage   in a --list/--status/... form: only its modifiers
#   done     after -h or -V: nothing follows
#   aftername  NAME is the last word: the separator or COMMAND
#   command  NAME and more typed: COMMAND or its arguments
function __netns_run_state
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l dashdash 0
    set -l manage 0
    set -l skip 0
    set -l count (count $tokens)
    for i in (seq $count)
        if test $skip -eq 1
            set skip 0
            continue
        end
        set -l token $tokens[$i]
        if test $dashdash -eq 1
            # The word after a leading -- is NAME, whatever it looks like.
            __netns_run_name_at $i $count
            return
        end
        switch $token
            case -h --help -V --version
                echo done
                return
            case --status --ensure --down --unit
                if test $i -eq $count
                    echo optarg
                    return
                end
                set manage 1
                set skip 1
            case -u --user
                if test $i -eq $count
                    echo user
                    return
                end
                set skip 1
            case -C --chdir
                if test $i -eq $count
                    echo dir
                    return
                end
                set skip 1
            case -l --list '--status=*' '--ensure=*' '--down=*' '--unit=*'
                set manage 1
            case --
                test $manage -eq 1; or set dashdash 1
            case '-*'
            case '*'
                test $manage -eq 1; and continue
                __netns_run_name_at $i $count
                return
        end
    end
    if test $manage -eq 1
        echo manage
    else if test $dashdash -eq 1
        echo name
    else
        echo options
    end
end

function __netns_run_is
    contains -- (__netns_run_state) $argv
end

# NAME is token I of COUNT: is it the last one before the cursor?
function __netns_run_name_at -a i count
    if test $i -eq $count
        echo aftername
    else
        echo command
    end
end

# True where COMMAND or one of its arguments is being typed, except for a
# word starting with - right after NAME, which can only be the -- separator.
function __netns_run_in_command
    switch (__netns_run_state)
        case command
            return 0
        case aftername
            not string match -q -- '-*' (commandline -ct)
        case '*'
            return 1
    end
end

# Every option netns-run has; test/unit/options.test.ts keeps this list, the
# man page and --help the same set.
complete -c netns-run -f
complete -c netns-run -n '__netns_run_is options' -s h -l help -d 'Show help and exit'
complete -c netns-run -n '__netns_run_is options' -s V -l version -d 'Show the version and exit'
complete -c netns-run -n '__netns_run_is options' -s l -l list -d 'List the namespaces and their state'
complete -c netns-run -n '__netns_run_is options' -l status -d 'Show the state of a namespace'
complete -c netns-run -n '__netns_run_is options' -l ensure -d 'Make a namespace without running anything'
complete -c netns-run -n '__netns_run_is options' -l down -d 'Tear a namespace down'
complete -c netns-run -n '__netns_run_is options' -l unit -d 'Print the systemd drop-in for a namespace'
complete -c netns-run -n '__netns_run_is options manage' -l json -d 'Output of --list or --status as JSON'
complete -c netns-run -n '__netns_run_is options manage' -l force -d 'With --down, also a namespace netns-run did not make'
complete -c netns-run -n '__netns_run_is options' -s u -l user -d 'Root only: run the command as this user'
complete -c netns-run -n '__netns_run_is options' -s C -l chdir -d 'Start the command in this directory'
complete -c netns-run -n '__netns_run_is options name optarg' -a '(__netns_run_names)' -d 'Network namespace'
complete -c netns-run -n '__netns_run_is user' -a '(__fish_complete_users)'
complete -c netns-run -n '__netns_run_is dir' -a '(__fish_complete_directories (commandline -ct))'
complete -c netns-run -n '__netns_run_is aftername' -a '--' -d 'End of netns-run arguments'
# netns-run and NAME are the two words to skip, and the argument of each
# option listed after it; options and -- are skipped anyway.
complete -c netns-run -n '__netns_run_in_command' -a '(__fish_complete_subcommand --fcs-skip=2 -u --user -C --chdir)'
