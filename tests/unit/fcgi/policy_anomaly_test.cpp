// AnomalyDetector: mean + 3 sigma of the previous minutes, a floor, one alert per minute.
#include <gtest/gtest.h>

#include "fcgi/policy/anomaly_detector.h"

namespace deepgate::fcgi::policy {
namespace {

using std::chrono::minutes;

// Starts the clock at a minute boundary so each test's minutes are whole.
void AlignToMinute(ManualClock& clock) {
  const auto ns = clock.Now().time_since_epoch();
  clock.Advance(minutes(1) - (ns % minutes(1)));
}

int Observe(AnomalyDetector& d, const std::string& subject, int n) {
  int alerts = 0;
  for (int i = 0; i < n; ++i) alerts += d.Observe(subject).has_value();
  return alerts;
}

TEST(AnomalyDetector, SteadyTrafficRaisesNothing) {
  ManualClock clock;
  AlignToMinute(clock);
  AnomalyDetector d(clock, {true, 20, 60});
  for (int m = 0; m < 30; ++m) {
    EXPECT_EQ(Observe(d, "k", 10), 0) << m;
    clock.Advance(minutes(1));
  }
  EXPECT_EQ(d.alerts(), 0u);
}

TEST(AnomalyDetector, SpikeAboveMeanPlusThreeSigmaAlertsOnce) {
  ManualClock clock;
  AlignToMinute(clock);
  AnomalyDetector d(clock, {true, 1000, 60});  // warm-up minutes must not alert
  for (int m = 0; m < 10; ++m) {
    Observe(d, "k", m % 2 ? 12 : 8);  // mean 10, sigma 2 -> threshold 16
    clock.Advance(minutes(1));
  }
  d.Configure({true, 5, 60});
  EXPECT_EQ(Observe(d, "k", 16), 0);
  std::optional<AnomalyAlert> a = d.Observe("k");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->count, 17);
  EXPECT_DOUBLE_EQ(a->mean, 10);
  EXPECT_DOUBLE_EQ(a->stddev, 2);
  EXPECT_DOUBLE_EQ(a->threshold, 16);
  EXPECT_EQ(Observe(d, "k", 100), 0);  // once per minute
  EXPECT_EQ(d.alerts(), 1u);
}

TEST(AnomalyDetector, NewWindowCanAlertAgain) {
  ManualClock clock;
  AlignToMinute(clock);
  AnomalyDetector d(clock, {true, 3, 60});
  EXPECT_EQ(Observe(d, "k", 10), 1);  // no history: judged against the floor
  clock.Advance(minutes(1));
  EXPECT_EQ(Observe(d, "k", 50), 1);  // history {10}: sigma 0, threshold 10
  EXPECT_EQ(d.alerts(), 2u);
}

TEST(AnomalyDetector, FloorSuppressesSmallSpikes) {
  ManualClock clock;
  AlignToMinute(clock);
  AnomalyDetector d(clock, {true, 100, 60});
  for (int m = 0; m < 5; ++m) {
    Observe(d, "k", 1);
    clock.Advance(minutes(1));
  }
  EXPECT_EQ(Observe(d, "k", 100), 0);  // far above 3 sigma, not above the floor
  EXPECT_EQ(Observe(d, "k", 1), 1);
}

TEST(AnomalyDetector, QuietMinutesCountAsZero) {
  ManualClock clock;
  AlignToMinute(clock);
  AnomalyDetector d(clock, {true, 0, 4});
  Observe(d, "k", 100);                // alerts (floor 0, no history)
  clock.Advance(minutes(3));           // history {100, 0, 0}
  std::optional<AnomalyAlert> a;
  for (int i = 0; i < 200 && !a; ++i) a = d.Observe("k");
  ASSERT_TRUE(a.has_value());
  EXPECT_NEAR(a->mean, 100.0 / 3, 1e-9);
}

TEST(AnomalyDetector, SubjectsAreIndependent) {
  ManualClock clock;
  AlignToMinute(clock);
  AnomalyDetector d(clock, {true, 5, 60});
  EXPECT_EQ(Observe(d, "a", 6), 1);
  EXPECT_EQ(Observe(d, "b", 5), 0);
}

TEST(AnomalyDetector, DisabledNeverAlerts) {
  ManualClock clock;
  AnomalyDetector d(clock, {false, 0, 60});
  EXPECT_EQ(Observe(d, "k", 1000), 0);
}

}  // namespace
}  // namespace deepgate::fcgi::policy
