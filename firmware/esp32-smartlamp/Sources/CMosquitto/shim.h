// libmosquitto (Debian libmosquitto-dev) for the host lamp.
#include <mosquitto.h>
