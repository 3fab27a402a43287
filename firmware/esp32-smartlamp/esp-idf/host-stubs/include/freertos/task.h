#pragma once
#include "freertos/FreeRTOS.h"
typedef void (*TaskFunction_t)(void *);
typedef struct tskTaskControlBlock *TaskHandle_t;
BaseType_t xTaskCreate(TaskFunction_t task_code, const char *const name, const uint32_t stack_depth,
                       void *const parameters, UBaseType_t priority, TaskHandle_t *const created_task);
