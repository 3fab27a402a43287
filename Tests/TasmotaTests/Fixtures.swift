// Payloads as real devices send them, written from peers.md §1 and the firmware's field list.

enum Fixtures {
  /// tele/<t>/STATE of a single-relay device (docs/DeepSleep.md shape).
  static let stateSingle = """
    {"Time":"2021-06-27T15:03:44+02:00","Uptime":"0T00:00:13","UptimeSec":13,"Heap":28,"SleepMode":"Dynamic",\
    "Sleep":50,"LoadAvg":19,"MqttCount":1,"POWER":"ON","Wifi":{"AP":1,"SSId":"DEMOAP","BSSId":"11:22:33:44:55:66",\
    "Channel":11,"Mode":"11n","RSSI":86,"Signal":-57,"LinkCount":1,"Downtime":"0T00:00:07"}}
    """

  /// tele/<t>/STATE of a four-relay device without UptimeSec (older firmware).
  static let stateFourRelays = """
    {"Time":"2020-02-21T13:00:13","Uptime":"1T02:03:04","Heap":24,"POWER1":"ON","POWER2":"OFF","POWER3":"OFF",\
    "POWER4":"ON","Wifi":{"AP":1,"SSId":"sensors","RSSI":92,"Signal":-54,"LinkCount":1}}
    """

  /// Status 0, one message per object (Tasmota 12.5).
  static let status = """
    {"Status":{"Module":1,"DeviceName":"Prelungitor","FriendlyName":["Prelungitor 1","Prelungitor 2"],\
    "Topic":"ikea-1","ButtonTopic":"0","Power":2,"PowerOnState":3,"LedState":1,"LedMask":"FFFF","SaveData":1,\
    "SaveState":1,"SwitchTopic":"0","SwitchMode":[0,0,0,0,0,0,0,0],"ButtonRetain":0,"SwitchRetain":0,\
    "SensorRetain":0,"PowerRetain":0,"InfoRetain":0,"StateRetain":0,"StatusRetain":0}}
    """
  static let status2 = """
    {"StatusFWR":{"Version":"12.5.0(lite)","BuildDateTime":"2023-04-17T08:03:57","Boot":7,"Core":"2_7_4_9",\
    "SDK":"2.2.2-dev(38a443e)","CpuFrequency":80,"Hardware":"ESP8285N08","CR":"464/699"}}
    """
  static let status5 = """
    {"StatusNET":{"Hostname":"wemosbt-1816","IPAddress":"192.168.180.76","Gateway":"192.168.180.1",\
    "Subnetmask":"255.255.255.0","DNSServer":"192.168.180.150","Mac":"5C:CF:7F:0B:67:18","Webserver":2,\
    "WifiConfig":4,"WifiPower":17.0}}
    """
  static let status11 = """
    {"StatusSTS":{"Time":"2021-05-01T21:56:39","Uptime":"0T01:11:00","UptimeSec":4260,"Heap":21,\
    "SleepMode":"Dynamic","Sleep":50,"LoadAvg":19,"MqttCount":1,"POWER1":"ON","POWER2":"OFF",\
    "Wifi":{"AP":1,"SSId":"xnetwork","BSSId":"D8:47:32:3C:FF:C5","Channel":11,"RSSI":92,"Signal":-54,\
    "LinkCount":1,"Downtime":"0T00:00:03"}}}
    """
  /// Tasmota 14: Status.Power became a binary string, most significant relay first.
  static let statusV14 = """
    {"Status":{"Module":0,"DeviceName":"Strip","FriendlyName":["A","B","C"],"Topic":"strip","ButtonTopic":"0",\
    "Power":"011","PowerLock":"000","PowerOnState":3}}
    """

  /// The real captured discovery config from peers.md §1.2 (MAC filled in).
  static let discoveryMAC = "A4CF12857B40"
  static let discovery = """
    {"ip":"10.10.10.119","dn":"DEVICE_NAME","fn":["DEVICE_NAME",null,null,null,null,null,null,null],\
    "hn":"tasmota-857B40-7525","mac":"A4CF12857B40","md":"LocalBytes PM","ty":0,"if":0,"ofln":"Offline",\
    "onln":"Online","state":["OFF","ON","TOGGLE","HOLD"],"sw":"12.2.0","t":"tasmota_857B40",\
    "ft":"%prefix%/%topic%/","tp":["cmnd","stat","tele"],"rl":[1,0,0,0,0,0,0,0],\
    "swc":[-1,-1,-1,-1,-1,-1,-1,-1],"swn":[null,null,null,null,null,null,null,null],"btn":[0,0,0,0,0,0,0,0],\
    "so":{"4":0,"11":0,"13":0,"17":0,"20":0,"30":0,"68":0,"73":0,"82":0,"114":0,"117":0},"lk":0,"lt_st":0,\
    "sho":[0,0,0,0],"sht":[[0,0,0],[0,0,0],[0,0,0],[0,0,0]],"ver":1}
    """

  /// A six-relay board (integrations-discovery test device) with FullTopic in the other order.
  static let discoverySixMAC = "DC4F22AB12CD"
  static let discoverySix = """
    {"ip":"192.168.1.50","dn":"Tasmota","fn":["Tasmota","Tasmota2","Tasmota3","Tasmota4","Tasmota5","Tasmota6",\
    null,null],"hn":"tasmota-AB12CD-4557","mac":"DC4F22AB12CD","md":"Generic","ty":0,"if":0,"ofln":"Offline",\
    "onln":"Online","state":["OFF","ON","TOGGLE","HOLD"],"sw":"13.4.0","t":"tasmota_AB12CD",\
    "ft":"%topic%/%prefix%/","tp":["cmnd","stat","tele"],"rl":[1,1,1,1,1,1,0,0],"swc":[-1,-1,-1,-1,-1,-1,-1,-1],\
    "swn":[null,null,null,null,null,null,null,null],"btn":[0,0,0,0,0,0,0,0],\
    "so":{"4":0,"11":0,"13":0,"17":0,"20":0,"30":0,"68":0,"73":0,"82":0,"114":0,"117":0},"lk":0,"lt_st":0,\
    "sho":[0,0,0,0],"sht":[[0,0,0],[0,0,0],[0,0,0],[0,0,0]],"ver":1}
    """
}
