// The field-skipping search over wall seconds: months, then days, then hour, minute and second are advanced to the
// next set bit, so a call costs a handful of bit operations whatever the pattern.

extension CronExpression {
  /// The first wall second ≥ `start` and ≤ `limit` that matches the expression and, when given, is a slot of
  /// `window`.
  func firstWallMatch(atOrAfter start: Int64, notAfter limit: Int64, window: ScheduleWindow?) -> Int64? {
    let perDay = WallClock.secondsPerDay
    var day = WallClock.floorDiv(start, perDay)
    var secondOfDay = Int(start - day * perDay)
    var (year, month, dayOfMonth) = WallClock.civil(days: day)
    let limitDay = WallClock.floorDiv(limit, perDay)
    var maskKey: (year: Int64, month: Int)?
    var mask: UInt64 = 0

    while day <= limitDay {
      if months & (1 << UInt64(month)) == 0 {
        if let next = nextBit(months, from: month + 1) {
          month = next
        } else {
          year += 1
          month = nextBit(months, from: 1) ?? 1
        }
        dayOfMonth = 1
        secondOfDay = 0
        day = WallClock.days(year: year, month: month, day: 1)
        continue
      }
      if maskKey?.year != year || maskKey?.month != month {
        mask = dayMask(year: year, month: month)
        maskKey = (year, month)
      }
      guard let matchingDay = nextBit(mask, from: dayOfMonth) else {
        (year, month) = month == 12 ? (year + 1, 1) : (year, month + 1)
        dayOfMonth = 1
        secondOfDay = 0
        day = WallClock.days(year: year, month: month, day: 1)
        continue
      }
      if matchingDay != dayOfMonth {
        day += Int64(matchingDay - dayOfMonth)
        dayOfMonth = matchingDay
        secondOfDay = 0
      }
      guard day <= limitDay else { return nil }
      if let time = timeOfDay(atOrAfter: secondOfDay, window: window) {
        let wall = day * perDay + Int64(time)
        return wall <= limit ? wall : nil
      }
      day += 1
      dayOfMonth += 1
      secondOfDay = 0
      if dayOfMonth > WallClock.monthLength(year: year, month: month) {
        (year, month) = month == 12 ? (year + 1, 1) : (year, month + 1)
        dayOfMonth = 1
      }
    }
    return nil
  }

  /// Whether a wall second matches the expression.
  func matches(wall: Int64) -> Bool {
    firstWallMatch(atOrAfter: wall, notAfter: wall, window: nil) == wall
  }

  /// The days (bits 1…31) of one month that match, applying the Vixie rule.
  func dayMask(year: Int64, month: Int) -> UInt64 {
    let length = WallClock.monthLength(year: year, month: month)
    let valid: UInt64 = ((1 << UInt64(length + 1)) - 1) & ~1
    var byMonthDay = daysOfMonth & valid
    if lastDayOfMonth { byMonthDay |= 1 << UInt64(length) }

    let firstWeekday = WallClock.weekday(days: WallClock.days(year: year, month: month, day: 1))
    var byWeekday: UInt64 = 0
    if daysOfWeek != 0 {
      for day in 1...length where daysOfWeek & (1 << UInt64((firstWeekday + day - 1) % 7)) != 0 {
        byWeekday |= 1 << UInt64(day)
      }
    }
    if lastWeekdays != 0 || nthWeekdays != 0 {
      let lastWeekday = (firstWeekday + length - 1) % 7
      for weekday in 0..<7 {
        if lastWeekdays & (1 << UInt64(weekday)) != 0 {
          byWeekday |= 1 << UInt64(length - (lastWeekday - weekday + 7) % 7)
        }
        let first = 1 + (weekday - firstWeekday + 7) % 7
        for nth in 1...5 where nthWeekdays & (1 << UInt64(weekday * 8 + nth)) != 0 {
          let day = first + 7 * (nth - 1)
          if day <= length { byWeekday |= 1 << UInt64(day) }
        }
      }
    }
    switch (dayOfMonthRestricted, dayOfWeekRestricted) {
    case (true, true): return byMonthDay | byWeekday
    case (true, false): return byMonthDay
    case (false, true): return byWeekday
    case (false, false): return valid
    }
  }

  /// The first second of the day ≥ `start` matching hour, minute and second (and the window), or nil.
  private func timeOfDay(atOrAfter start: Int, window: ScheduleWindow?) -> Int? {
    var hour = start / 3600
    var minute = start / 60 % 60
    var second = start % 60
    while true {
      guard let matchingHour = nextBit(hours, from: hour) else { return nil }
      if matchingHour != hour {
        hour = matchingHour
        minute = 0
        second = 0
      }
      guard let matchingMinute = nextBit(minutes, from: minute) else {
        hour += 1
        minute = 0
        second = 0
        continue
      }
      if matchingMinute != minute {
        minute = matchingMinute
        second = 0
      }
      guard let matchingSecond = nextBit(seconds, from: second) else {
        minute += 1
        second = 0
        continue
      }
      let candidate = hour * 3600 + minute * 60 + matchingSecond
      guard let window else { return candidate }
      guard let slot = window.nextSlotSecond(atOrAfter: candidate) else { return nil }
      if slot == candidate { return candidate }
      hour = slot / 3600
      minute = slot / 60 % 60
      second = slot % 60
    }
  }
}

/// The lowest set bit at index ≥ `from`.
func nextBit(_ mask: UInt64, from: Int) -> Int? {
  guard from < 64 else { return nil }
  let shifted = mask >> UInt64(max(0, from))
  return shifted == 0 ? nil : max(0, from) + shifted.trailingZeroBitCount
}
