# plexus %pre: the `plexus` system user the units run as.
getent group plexus >/dev/null || groupadd -r plexus
getent passwd plexus >/dev/null || \
    useradd -r -g plexus -d / -s /sbin/nologin -c "plexus task runtime" plexus
exit 0
