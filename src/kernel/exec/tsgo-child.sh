#!/bin/sh
# Starts tsgo (its path in TSNNX_TSGO, its arguments as given) so that the
# kernel's death kills it, even by SIGKILL. tsgo can hang instead of exiting
# when its stdin closes, and a hung child keeps the kernel's stderr pipe open
# for whoever reads it (see type-server.ts). setpriv is util-linux's.
exec setpriv --pdeathsig KILL -- "$TSNNX_TSGO" "$@"
