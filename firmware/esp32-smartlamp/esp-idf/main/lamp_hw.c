// The lamp's hardware: relay and button GPIOs, the NVS record (relay state + nonce high-water mark) and the two
// clocks the core reads. Implements lamp_port_set_relay and lamp_port_persist.
#include <sys/time.h>

#include "driver/gpio.h"
#include "esp_log.h"
#include "esp_timer.h"
#include "lamp_app.h"
#include "lamp_port.h"
#include "nvs.h"
#include "nvs_flash.h"
#include "sdkconfig.h"

// Kconfig leaves a bool option that is off undefined in sdkconfig.h.
#ifdef CONFIG_SMARTLAMP_RELAY_ACTIVE_HIGH
#define RELAY_ACTIVE_HIGH 1
#else
#define RELAY_ACTIVE_HIGH 0
#endif
#ifdef CONFIG_SMARTLAMP_BUTTON_ACTIVE_LOW
#define BUTTON_ACTIVE_LOW 1
#else
#define BUTTON_ACTIVE_LOW 0
#endif

static const char *TAG = "smartlamp-hw";
static nvs_handle_t store;
static bool store_open;

void lamp_hw_init(void) {
  esp_err_t err = nvs_flash_init();
  if (err == ESP_ERR_NVS_NO_FREE_PAGES || err == ESP_ERR_NVS_NEW_VERSION_FOUND) {
    ESP_ERROR_CHECK(nvs_flash_erase());
    err = nvs_flash_init();
  }
  ESP_ERROR_CHECK(err);
  store_open = nvs_open("smartlamp", NVS_READWRITE, &store) == ESP_OK;
  if (!store_open) ESP_LOGE(TAG, "NVS unavailable: the state will not survive a power cut");

  gpio_config_t relay = {
      .pin_bit_mask = 1ULL << CONFIG_SMARTLAMP_RELAY_GPIO,
      .mode = GPIO_MODE_OUTPUT,
      .pull_up_en = GPIO_PULLUP_DISABLE,
      .pull_down_en = GPIO_PULLDOWN_DISABLE,
      .intr_type = GPIO_INTR_DISABLE,
  };
  ESP_ERROR_CHECK(gpio_config(&relay));
  lamp_port_set_relay(false);  // a known level before the core restores the saved state

#if CONFIG_SMARTLAMP_BUTTON_GPIO >= 0
  gpio_config_t button = {
      .pin_bit_mask = 1ULL << CONFIG_SMARTLAMP_BUTTON_GPIO,
      .mode = GPIO_MODE_INPUT,
      .pull_up_en = BUTTON_ACTIVE_LOW ? GPIO_PULLUP_ENABLE : GPIO_PULLUP_DISABLE,
      .pull_down_en = BUTTON_ACTIVE_LOW ? GPIO_PULLDOWN_DISABLE : GPIO_PULLDOWN_ENABLE,
      .intr_type = GPIO_INTR_DISABLE,
  };
  ESP_ERROR_CHECK(gpio_config(&button));
#endif
}

bool lamp_hw_button_pressed(void) {
#if CONFIG_SMARTLAMP_BUTTON_GPIO >= 0
  int level = gpio_get_level((gpio_num_t)CONFIG_SMARTLAMP_BUTTON_GPIO);
  return BUTTON_ACTIVE_LOW ? level == 0 : level == 1;
#else
  return false;
#endif
}

void lamp_port_set_relay(bool on) {
  uint32_t level = RELAY_ACTIVE_HIGH ? (on ? 1 : 0) : (on ? 0 : 1);
  gpio_set_level((gpio_num_t)CONFIG_SMARTLAMP_RELAY_GPIO, level);
}

/// The 32-bit millisecond counter the core expects: wraps after 49.7 days, which the core handles.
uint32_t lamp_hw_monotonic_ms(void) { return (uint32_t)(esp_timer_get_time() / 1000); }

/// Epoch milliseconds once SNTP has set the clock, else 0 (any time before 2023-11 counts as not set).
uint64_t lamp_hw_wall_ms(void) {
  struct timeval now;
  gettimeofday(&now, NULL);
  if (now.tv_sec < 1700000000) return 0;
  return (uint64_t)now.tv_sec * 1000u + (uint64_t)(now.tv_usec / 1000);
}

size_t lamp_hw_load_record(uint8_t *out, size_t capacity) {
  if (!store_open) return 0;
  size_t length = capacity;
  if (nvs_get_blob(store, "state", out, &length) != ESP_OK) return 0;
  return length;  // the core checks the record's version and checksum
}

void lamp_port_persist(const uint8_t *record, size_t record_len) {
  if (!store_open) return;
  esp_err_t err = nvs_set_blob(store, "state", record, record_len);
  if (err == ESP_OK) err = nvs_commit(store);
  if (err != ESP_OK) ESP_LOGE(TAG, "saving the state failed: %s", esp_err_to_name(err));
}
