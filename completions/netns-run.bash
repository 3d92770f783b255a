# bash completion for netns-run                            -*- shell-script -*-
#
# netns-run [OPTIONS] NAME [--] COMMAND [ARGS...]
#
# Before NAME: the options and the namespace names in /run/netns. After NAME
# (and an optional --): COMMAND and its arguments, completed as if COMMAND
# had been typed on its own. Static: no Node is started to complete.
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
    local cur=${COMP_WORDS[COMP_CWORD]}
    local i word name_index=0 dashdash=0

    # Find NAME: the first word that is not an option (or any word after a
    # leading --). -h and -V end the command line: nothing follows them.
    for ((i = 1; i < COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]}
        if ((dashdash)); then
            name_index=$i
            break
        fi
        case $word in
            -h | --help | -V | --version) return 0 ;;
            --) dashdash=1 ;;
            -*) ;;
            *)
                name_index=$i
                break
                ;;
        esac
    done

    if ((name_index == 0)); then
        local IFS=$'\n'   # compgen -W splits its word list on IFS too
        if [[ $cur == -* ]] && ((!dashdash)); then
            COMPREPLY=($(compgen -W $'-h\n--help\n-V\n--version' -- "$cur"))
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
        COMPREPLY=($(compgen -c -- "$cur"))
    else
        compopt -o default 2>/dev/null
        COMPREPLY=()
    fi
    return 0
}

complete -F _netns_run netns-run
