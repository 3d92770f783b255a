# fish completion for netns-run [OPTIONS] NAME [--] COMMAND [ARGS...]
#
# Before NAME: the options and the namespace names in /run/netns. After NAME
# (and an optional --): COMMAND and its arguments, completed by
# __fish_complete_subcommand as if COMMAND had been typed on its own.
# Static: no Node is started to complete.
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
# "options" (NAME not typed yet), "name" (after a leading --, NAME not typed
# yet), "done" (after -h or -V: nothing follows), or "command" (NAME typed).
function __netns_run_state
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l dashdash 0
    for token in $tokens
        if test $dashdash -eq 1
            echo command
            return
        end
        switch $token
            case -h --help -V --version
                echo done
                return
            case --
                set dashdash 1
            case '-*'
            case '*'
                echo command
                return
        end
    end
    if test $dashdash -eq 1
        echo name
    else
        echo options
    end
end

# True right after NAME, where -- may still be typed.
function __netns_run_after_name
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l words 0
    set -l dashdash 0
    for token in $tokens
        if test $words -eq 0 -a $dashdash -eq 0
            switch $token
                case --
                    set dashdash 1
                    continue
                case '-*'
                    continue
            end
        end
        set words (math $words + 1)
    end
    test $words -eq 1
end

# True where COMMAND or one of its arguments is being typed, except for a
# word starting with - right after NAME, which can only be the -- separator.
function __netns_run_in_command
    test (__netns_run_state) = command; or return 1
    if __netns_run_after_name; and string match -q -- '-*' (commandline -ct)
        return 1
    end
    return 0
end

complete -c netns-run -f
complete -c netns-run -n 'test (__netns_run_state) = options' -s h -l help -d 'Show help and exit'
complete -c netns-run -n 'test (__netns_run_state) = options' -s V -l version -d 'Show the version and exit'
complete -c netns-run -n 'contains -- (__netns_run_state) options name' -a '(__netns_run_names)' -d 'Network namespace'
complete -c netns-run -n '__netns_run_after_name' -a '--' -d 'End of netns-run arguments'
# netns-run and NAME are the two words to skip; options and -- are skipped anyway.
complete -c netns-run -n '__netns_run_in_command' -a '(__fish_complete_subcommand --fcs-skip=2)'
