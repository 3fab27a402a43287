// Host test configuration (a real build generates sdkconfig.h from Kconfig.projbuild).
#pragma once
#define CONFIG_SMARTLAMP_WIFI_SSID "test-ssid"
#define CONFIG_SMARTLAMP_WIFI_PASSWORD "test-wifi-password"
#define CONFIG_SMARTLAMP_BROKER_URI "mqtts://127.0.0.1:8883"
// CONFIG_SMARTLAMP_ALLOW_PLAINTEXT_MQTT is off: Kconfig then leaves it undefined.
#define CONFIG_SMARTLAMP_MQTT_USERNAME "lamp"
#define CONFIG_SMARTLAMP_MQTT_PASSWORD "lamp-password"
#define CONFIG_SMARTLAMP_MQTT_KEEPALIVE 30
#define CONFIG_SMARTLAMP_DEVICE_ID "lampu-stub"
#define CONFIG_SMARTLAMP_HMAC_SECRET ""
#define CONFIG_SMARTLAMP_RESTORE_POLICY 0
#define CONFIG_SMARTLAMP_RELAY_GPIO 4
#define CONFIG_SMARTLAMP_RELAY_ACTIVE_HIGH 1
#define CONFIG_SMARTLAMP_BUTTON_GPIO 9
#define CONFIG_SMARTLAMP_BUTTON_ACTIVE_LOW 1
#define CONFIG_SMARTLAMP_NTP_SERVER "pool.ntp.org"
