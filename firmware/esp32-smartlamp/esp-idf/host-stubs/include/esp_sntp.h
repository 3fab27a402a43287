#pragma once
#include <stdint.h>
typedef enum { ESP_SNTP_OPMODE_POLL, ESP_SNTP_OPMODE_LISTENONLY } esp_sntp_operatingmode_t;
void esp_sntp_setoperatingmode(esp_sntp_operatingmode_t operating_mode);
void esp_sntp_setservername(uint8_t idx, const char *server);
void esp_sntp_init(void);
