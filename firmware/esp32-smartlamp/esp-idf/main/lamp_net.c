// The lamp's network: Wi-Fi station with exponential reconnect, SNTP, and the esp-mqtt client over TLS that verifies
// the broker's certificate against the CA embedded from main/certs/broker_ca.pem, with user/password and the
// retained Will OFFLINE. esp-mqtt's own reconnect is off: the Swift core decides when to connect (backoff with
// jitter). Implements lamp_port_publish/subscribe/connect/schedule_reconnect.
#include <string.h>

#include "esp_event.h"
#include "esp_log.h"
#include "esp_netif.h"
#include "esp_sntp.h"
#include "esp_timer.h"
#include "esp_wifi.h"
#include "lamp_app.h"
#include "lamp_port.h"
#include "mqtt_client.h"
#include "sdkconfig.h"

#ifdef CONFIG_SMARTLAMP_ALLOW_PLAINTEXT_MQTT
#define ALLOW_PLAINTEXT 1
#else
#define ALLOW_PLAINTEXT 0  // Kconfig leaves a bool option that is off undefined
#endif

static const char *TAG = "smartlamp-net";

extern const char broker_ca_pem_start[] asm("_binary_broker_ca_pem_start");

static esp_mqtt_client_handle_t mqtt;
static bool mqtt_started;
static volatile bool network_up;
static esp_timer_handle_t wifi_retry_timer;
static uint32_t wifi_retry_ms = 1000;
static char will_topic_buffer[LAMP_TOPIC_MAX + 1];

static void wifi_retry(void *arg) {
  (void)arg;
  esp_wifi_connect();
}

static void on_network_event(void *arg, esp_event_base_t base, int32_t id, void *data) {
  (void)arg;
  (void)data;
  if (base == WIFI_EVENT && id == WIFI_EVENT_STA_START) {
    esp_wifi_connect();
  } else if (base == WIFI_EVENT && id == WIFI_EVENT_STA_DISCONNECTED) {
    network_up = false;
    ESP_LOGW(TAG, "Wi-Fi lost, retrying in %u ms", (unsigned)wifi_retry_ms);
    esp_timer_start_once(wifi_retry_timer, (uint64_t)wifi_retry_ms * 1000u);
    wifi_retry_ms = wifi_retry_ms >= 30000 ? 60000 : wifi_retry_ms * 2;
  } else if (base == IP_EVENT && id == IP_EVENT_STA_GOT_IP) {
    ESP_LOGI(TAG, "Wi-Fi up");
    wifi_retry_ms = 1000;
    network_up = true;
    lamp_post_kind(LAMP_EVENT_NETWORK_UP);
  }
}

static void on_mqtt_event(void *arg, esp_event_base_t base, int32_t id, void *data) {
  (void)arg;
  (void)base;
  esp_mqtt_event_handle_t event = data;
  switch ((esp_mqtt_event_id_t)id) {
    case MQTT_EVENT_CONNECTED:
      lamp_post_kind(LAMP_EVENT_CONNECTED);
      break;
    case MQTT_EVENT_DISCONNECTED:
    case MQTT_EVENT_ERROR:
      lamp_post_kind(LAMP_EVENT_DISCONNECTED);  // the core ignores a second report of the same loss
      break;
    case MQTT_EVENT_DATA: {
      if (event->current_data_offset != 0) break;  // later chunks of a payload too large for the buffer
      static lamp_event_t message;                 // only this (MQTT) task writes it; the queue copies it
      if (event->topic_len <= 0 || event->topic_len > LAMP_TOPIC_MAX) break;
      message.kind = LAMP_EVENT_MESSAGE;
      message.topic_len = (uint16_t)event->topic_len;
      memcpy(message.topic, event->topic, (size_t)event->topic_len);
      message.topic[event->topic_len] = 0;
      int total = event->total_data_len > event->data_len ? event->total_data_len : event->data_len;
      int copied = event->data_len < LAMP_PAYLOAD_MAX ? event->data_len : LAMP_PAYLOAD_MAX;
      memcpy(message.payload, event->data, (size_t)copied);
      // A payload over the limit arrives as 513 bytes so the core reports TOO_LARGE instead of parsing a prefix.
      message.payload_len = (uint16_t)(total > LAMP_PAYLOAD_MAX - 1 ? LAMP_PAYLOAD_MAX : copied);
      lamp_post_message(&message);
      break;
    }
    default:
      break;
  }
}

void lamp_net_start(const char *will_topic) {
  strncpy(will_topic_buffer, will_topic, sizeof will_topic_buffer - 1);
  ESP_ERROR_CHECK(esp_netif_init());
  ESP_ERROR_CHECK(esp_event_loop_create_default());
  esp_netif_create_default_wifi_sta();
  wifi_init_config_t init = WIFI_INIT_CONFIG_DEFAULT();
  ESP_ERROR_CHECK(esp_wifi_init(&init));
  ESP_ERROR_CHECK(esp_event_handler_instance_register(WIFI_EVENT, ESP_EVENT_ANY_ID, on_network_event, NULL, NULL));
  ESP_ERROR_CHECK(esp_event_handler_instance_register(IP_EVENT, IP_EVENT_STA_GOT_IP, on_network_event, NULL, NULL));
  esp_timer_create_args_t retry = {.callback = wifi_retry, .arg = NULL, .name = "wifi-retry"};
  ESP_ERROR_CHECK(esp_timer_create(&retry, &wifi_retry_timer));
  wifi_config_t wifi = {0};
  strncpy((char *)wifi.sta.ssid, CONFIG_SMARTLAMP_WIFI_SSID, sizeof wifi.sta.ssid);
  strncpy((char *)wifi.sta.password, CONFIG_SMARTLAMP_WIFI_PASSWORD, sizeof wifi.sta.password);
  wifi.sta.threshold.authmode = WIFI_AUTH_WPA2_PSK;
  ESP_ERROR_CHECK(esp_wifi_set_mode(WIFI_MODE_STA));
  ESP_ERROR_CHECK(esp_wifi_set_config(WIFI_IF_STA, &wifi));
  ESP_ERROR_CHECK(esp_wifi_start());

  // Time for status timestamps; nothing in the lamp waits for it.
  esp_sntp_setoperatingmode(ESP_SNTP_OPMODE_POLL);
  esp_sntp_setservername(0, CONFIG_SMARTLAMP_NTP_SERVER);
  esp_sntp_init();

  bool tls = strncmp(CONFIG_SMARTLAMP_BROKER_URI, "mqtts://", 8) == 0;
  if (!tls && !ALLOW_PLAINTEXT) {
    ESP_LOGE(TAG, "broker URI must be mqtts:// (set SMARTLAMP_ALLOW_PLAINTEXT_MQTT only on a trusted test network)");
    return;
  }
  esp_mqtt_client_config_t config = {0};
  config.broker.address.uri = CONFIG_SMARTLAMP_BROKER_URI;
  if (tls) config.broker.verification.certificate = broker_ca_pem_start;  // PEM, NUL-terminated by EMBED_TXTFILES
  config.credentials.username = CONFIG_SMARTLAMP_MQTT_USERNAME;
  config.credentials.client_id = NULL;  // esp-mqtt's default: ESP32_<last MAC bytes>, unique per board
  config.credentials.authentication.password = CONFIG_SMARTLAMP_MQTT_PASSWORD;
  config.session.last_will.topic = will_topic_buffer;
  config.session.last_will.msg = "OFFLINE";
  config.session.last_will.msg_len = 7;
  config.session.last_will.qos = 1;
  config.session.last_will.retain = 1;
  config.session.keepalive = CONFIG_SMARTLAMP_MQTT_KEEPALIVE;
  config.network.disable_auto_reconnect = true;
  config.buffer.size = 1024;
  mqtt = esp_mqtt_client_init(&config);
  if (mqtt == NULL) {
    ESP_LOGE(TAG, "MQTT client init failed");
    return;
  }
  ESP_ERROR_CHECK(esp_mqtt_client_register_event(mqtt, MQTT_EVENT_ANY, on_mqtt_event, NULL));
}

bool lamp_net_rssi(int16_t *rssi) {
  wifi_ap_record_t ap;
  if (!network_up || esp_wifi_sta_get_ap_info(&ap) != ESP_OK) return false;
  *rssi = ap.rssi;
  return true;
}

void lamp_port_connect(void) {
  if (mqtt == NULL || !network_up) {
    lamp_post_kind(LAMP_EVENT_DISCONNECTED);  // the attempt fails at once; the core schedules the next one
    return;
  }
  esp_err_t err = mqtt_started ? esp_mqtt_client_reconnect(mqtt) : esp_mqtt_client_start(mqtt);
  if (err == ESP_OK) {
    mqtt_started = true;
  } else {
    ESP_LOGW(TAG, "MQTT connect failed: %s", esp_err_to_name(err));
    lamp_post_kind(LAMP_EVENT_DISCONNECTED);
  }
}

void lamp_port_publish(const char *topic, const uint8_t *payload, size_t payload_len, uint8_t qos, bool retain) {
  if (mqtt == NULL) return;
  // enqueue, not publish: the lamp task never blocks on the network.
  if (esp_mqtt_client_enqueue(mqtt, topic, (const char *)payload, (int)payload_len, qos, retain, true) < 0) {
    ESP_LOGW(TAG, "publish to %s dropped (outbox full)", topic);
  }
}

void lamp_port_subscribe(const char *topic, uint8_t qos) {
  if (mqtt == NULL) return;
  if (esp_mqtt_client_subscribe(mqtt, topic, qos) < 0) ESP_LOGW(TAG, "subscribe to %s failed", topic);
}

void lamp_port_schedule_reconnect(uint32_t after_ms) { ESP_LOGI(TAG, "MQTT reconnect in %u ms", (unsigned)after_ms); }
