#!/bin/sh
# Before `azd deploy`: the package must carry coord.yaml, and its mail.from must be the address the
# Communication Services managed domain sends as (COORD_MAIL_FROM, which `azd provision` sets).
set -eu
cd "$(dirname "$0")/../.."

if [ -z "${COORD_MAIL_FROM:-}" ]; then
  echo "COORD_MAIL_FROM is empty: run azd provision (or azd up) before azd deploy." >&2
  exit 1
fi
if [ ! -f coord.yaml ]; then
  echo "coord.yaml is missing beside function_app.py: copy coord.yaml.example, edit it, then deploy again." >&2
  exit 1
fi
if ! grep -qF "$COORD_MAIL_FROM" coord.yaml; then
  echo "warning: coord.yaml's mail.from is not $COORD_MAIL_FROM; Communication Services sends only as that address." >&2
fi
