#!/bin/sh
# Before `azd deploy`: the package must carry coord.yaml, and its mail.from must be the address the
# Communication Services managed domain sends as.
set -eu

if [ ! -f coord.yaml ]; then
  echo "coord.yaml is missing beside function_app.py: copy coord.yaml.example, edit it, then deploy again." >&2
  exit 1
fi
if ! grep -qF "${COORD_MAIL_FROM:-}" coord.yaml; then
  echo "warning: coord.yaml's mail.from is not ${COORD_MAIL_FROM:-}; Communication Services sends only as that address." >&2
fi
