#pragma once
#include <stdlib.h>
typedef int esp_err_t;
#define ESP_OK 0
#define ESP_FAIL -1
#define ESP_ERR_NVS_BASE 0x1100
#define ESP_ERR_NVS_NOT_FOUND (ESP_ERR_NVS_BASE + 0x02)
#define ESP_ERR_NVS_NO_FREE_PAGES (ESP_ERR_NVS_BASE + 0x0d)
#define ESP_ERR_NVS_NEW_VERSION_FOUND (ESP_ERR_NVS_BASE + 0x10)
const char *esp_err_to_name(esp_err_t code);
#define ESP_ERROR_CHECK(x)          \
  do {                              \
    esp_err_t err_rc_ = (x);        \
    if (err_rc_ != ESP_OK) abort(); \
  } while (0)
