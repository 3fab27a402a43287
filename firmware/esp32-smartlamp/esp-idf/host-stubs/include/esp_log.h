#pragma once
void stub_log(char level, const char *tag, const char *format, ...) __attribute__((format(printf, 3, 4)));
#define ESP_LOGE(tag, format, ...) stub_log('E', tag, format, ##__VA_ARGS__)
#define ESP_LOGW(tag, format, ...) stub_log('W', tag, format, ##__VA_ARGS__)
#define ESP_LOGI(tag, format, ...) stub_log('I', tag, format, ##__VA_ARGS__)
