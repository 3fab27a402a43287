/// Simulated Tasmota devices on a real broker, with fault injection.
import MQTT
import Tasmota
public enum DeviceSimulatorInfo {}
