#!/usr/bin/env bash
# The rough edges of the command line a new user hits (issue "Never silently wrong", 24): an
# option missing its value is named, --output=DIR works, mistyped commands and options get a
# "did you mean", train takes -o DIR, the -j limit is the same in help and parser, a folder
# given for a file names its dataset.h5, and a training config and a manifest swapped are
# called what they are.
. "$(dirname "$0")/lib_e2e.sh"
trap 'rm -rf "$T"' EXIT

# stderr of a command that must exit $1
exits() {
  local want=$1 rc=0
  shift
  "$@" > "$T/out" 2> "$T/err" || rc=$?
  [ "$rc" = "$want" ] || fail "$* exited $rc, not $want: $(cat "$T/err")"
  cat "$T/err"
}
says() { # $1 text expected in $2
  echo "$2" | grep -qF -- "$1" || fail "expected '$1', got: $2"
  echo "ok: $1"
}

says "generate: -o needs DIR" "$(exits 2 "$PF" generate manifests/tiny.yaml -o)"
says "show: --example needs I" "$(exits 2 "$PF" show x.h5 -o x.png --example)"
says "predict: --hop-ms needs MS" "$(exits 2 "$PF" predict models/pitch.h5 a.wav --hop-ms)"
says "unknown option '--outptu' (did you mean '--output'?)" \
  "$(exits 2 "$PF" generate manifests/tiny.yaml --outptu "$T/x")"
says "unknown option '--dryrun' (did you mean '--dry-run'?)" \
  "$(exits 2 "$PF" generate manifests/tiny.yaml --dryrun)"
says "'genrate' is not a command; did you mean 'generate'?" "$(exits 2 "$PF" genrate)"
says "'tarin' is not a command; did you mean 'train'?" "$(exits 2 "$PF" help tarin)"
says "--json takes no value" "$(exits 2 "$PF" generate manifests/tiny.yaml --json=yes)"

# --output=DIR is --output DIR
"$PF" generate manifests/tiny.yaml --output="$T/d" -q
[ -f "$T/d/dataset.h5" ] || fail "--output=DIR wrote no $T/d/dataset.h5"
echo "ok: --output=DIR"

# train -o DIR (and --output=DIR) instead of the config's output
sed "s|^dataset: .*|dataset: $T/d/dataset.h5|; s|^output: .*|output: $T/not-here|; s|^epochs: .*|epochs: 1|" \
  manifests/train-tiny.yaml > "$T/train.yaml"
"$PF" train "$T/train.yaml" -o "$T/m" -q
[ -f "$T/m/model.h5" ] && [ ! -e "$T/not-here" ] || fail "train -o DIR did not write $T/m/model.h5"
echo "ok: train -o DIR"

# -j: the limit the help states is the one the parser applies
for c in generate eval predict; do
  help_max=$("$PF" help $c | grep -Eo -- '-j[^0-9]*N +threads, 1 to [0-9]+|--jobs N +worker threads, 1 to [0-9]+' \
    | grep -Eo '[0-9]+$')
  [ -n "$help_max" ] || fail "$c's help states no -j limit"
  args=(manifests/tiny.yaml)
  [ $c = generate ] || args=(models/pitch.h5 x)
  says "-j takes a number of threads, 1 to $help_max" "$(exits 2 "$PF" $c "${args[@]}" -j $((help_max + 1)))"
done
[ "$("$PF" help generate | grep -c 'at most 64')" = 1 ] || fail "generate's help: another -j limit"

# a folder where a file is wanted: its dataset.h5 named
for c in inspect eval show; do
  case $c in
    inspect) args=("$T/d") ;;
    eval) args=(models/pitch.h5 "$T/d") ;;
    show) args=("$T/d" -e 0 -o "$T/x.png") ;;
  esac
  says "'$T/d' is a folder: give its index, $T/d/dataset.h5" "$(exits 2 "$PF" $c "${args[@]}")"
done

# a training config given to generate, a manifest given to train
says "manifests/train-tiny.yaml: this is a training config (it has 'dataset' and 'model'), not a dataset manifest" \
  "$(exits 1 "$PF" generate manifests/train-tiny.yaml)"
says "manifests/tiny.yaml: this is a dataset manifest (it has 'instruments'), not a training config" \
  "$(exits 1 "$PF" train manifests/tiny.yaml)"
