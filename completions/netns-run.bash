# bash completion for netns-run                            -*- shell-script -*-
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
# user, after --chdir a directory. After NAME (and
# an optional --): COMMAND and its arguments, completed as if COMMAND had been
# typed on its own. The --list/--status/... forms run no command, so nothing
# but their modifiers completes after them. Static: no Node is started to
# complete.
#
# Install as /usr/share/bash-completion/completions/netns-run (loaded on
# demand by bash-completion), or source it from ~/.bashrc.

# Namespace names, read from /run/netns directly. Only names netns-run
# accepts: letters, digits, _ . -, not starting with - or .
_netns_run_names()
{
    local path name
    for path in /run/netns/*; do
        [[ -e $path ]] || continue
        name=${path##*/}
        [[ $name =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$ ]] && printf '%s\n' "$name"
    done
}

_netns_run()
{
    # Every option netns-run has; test/unit/options.test.ts keeps this list,
    # the man page and --help the same set.
    local -a all_options=(-h --help -V --version -l --list --status --ensure --down --unit --json --force -u --user -C --chdir)
    local -a modifiers=(--json --force)

    local cur=${COMP_WORDS[COMP_CWORD]}
    local i word name_index=0 dashdash=0 manage=0

    # Find NAME: the first word that is not an option or an option's argument
    # (or any word after a leading --). -h and -V end the command line;
    # --list, --status, --ensure, --down and --unit run no command.
    for ((i = 1; i < COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]}
        if ((dashdash)); then
            name_index=$i
            break
        fi
        case $word in
            -h | --help | -V | --version) return 0 ;;
            --status | --ensure | --down | --unit)
                # bash splits --status=NAME at the =: the NAME comes after it.
                [[ ${COMP_WORDS[i + 1]} == = ]] && ((i + 1 < COMP_CWORD)) && ((i++))
                if ((i + 1 == COMP_CWORD)); then
                    # The word being completed is this option's NAME.
                    local IFS=$'\n'   # compgen -W splits its word list on IFS too
                    COMPREPLY=($(compgen -W "$(_netns_run_names)" -- "$cur"))
                    return 0
                fi
                manage=1
                ((i++))   # its NAME
                ;;
            -u | --user | -C | --chdir)
                [[ ${COMP_WORDS[i + 1]} == = ]] && ((i + 1 < COMP_CWORD)) && ((i++))
                if ((i + 1 == COMP_CWORD)); then
                    # The word being completed is this option's USER or DIR.
                    local IFS=$'\n'
                    case $word in
                        -u | --user) COMPREPLY=($(compgen -u -- "$cur")) ;;
                        *)
                            compopt -o filenames 2>/dev/null
                            COMPREPLY=($(compgen -d -- "$cur"))
                            ;;
                    esac
                    return 0
                fi
                ((i++))   # its USER or DIR
                ;;
            -l | --list | --status=* | --ensure=* | --down=* | --unit=*) manage=1 ;;
            --) ((manage)) || dashdash=1 ;;
            -*) ;;
            *)
                ((manage)) && continue   # a stray word of a management form
                name_index=$i
                break
                ;;
        esac
    done

    local IFS=$'\n'   # compgen -W splits its word list on IFS too
    if ((manage)); then
        # --list/--status/...: no command follows, only the modifiers.
        [[ $cur == -* ]] && COMPREPLY=($(compgen -W "${modifiers[*]}" -- "$cur"))
        return 0
    fi

    if ((name_index == 0)); then
        if [[ $cur == -* ]] && ((!dashdash)); then
            COMPREPLY=($(compgen -W "${all_options[*]}" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$(_netns_run_names)" -- "$cur"))
        fi
        return 0
    fi

    # Right after NAME: offer the separator to a word that starts with -.
    if ((COMP_CWORD == name_index + 1)) && [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W '--' -- "$cur"))
        return 0
    fi

    # The command's own completion runs with the IFS it expects.
    unset IFS
    local offset=$((name_index + 1))
    if [[ ${COMP_WORDS[offset]} == -- ]] && ((COMP_CWORD > offset)); then
        offset=$((offset + 1))
    fi

    if declare -F _comp_command_offset >/dev/null; then
        _comp_command_offset "$offset"   # bash-completion 2.12 and later
    elif declare -F _command_offset >/dev/null; then
        _command_offset "$offset"
    elif ((COMP_CWORD == offset)); then
        # Without bash-completion: commands, then file names.
        compopt -o filenames 2>/dev/null
        local IFS=$'\n'
        COMPREPLY=($(compgen -c -- "$cur"))
    else
        compopt -o default 2>/dev/null
        COMPREPLY=()
    fi
    return 0
}

complete -F _netns_run netns-run
