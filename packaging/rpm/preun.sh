# plexus %preun: on erase ($1 = 0, not upgrade), stop running units.
if [ "$1" -eq 0 ] && [ -d /run/systemd/system ]; then
    systemctl stop plexus-scheduler.service 'plexus-worker@*.service' >/dev/null 2>&1 || :
fi
exit 0
