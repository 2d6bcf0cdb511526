/* Unit tests of write_strategy_for_iops: --strategy auto's choice for a
 * disk by its random 4 KiB writes a second (write.h), at and around the
 * threshold, and the reason it gives. */
#include <string.h>

#include "tap.h"
#include "wintogo/write.h"

int main(void)
{
	char why[160];

	plan(9);
	is_int(write_strategy_for_iops(WRITE_DIRECT_MIN_IOPS, why, sizeof(why)), WRITE_STRATEGY_DIRECT,
	       "at the threshold: direct");
	is_str(why, "the disk took 4000 random 4 KiB writes a second, at least 4000", "saying the figure and the threshold");
	is_int(write_strategy_for_iops(WRITE_DIRECT_MIN_IOPS - 0.5, why, sizeof(why)), WRITE_STRATEGY_STAGE,
	       "half a write a second below: staged");
	is_int(write_strategy_for_iops(212, why, sizeof(why)), WRITE_STRATEGY_STAGE, "a USB stick's 212: staged");
	is_str(why, "the disk took 212 random 4 KiB writes a second, fewer than 4000", "saying fewer");
	is_int(write_strategy_for_iops(45000, why, sizeof(why)), WRITE_STRATEGY_DIRECT, "an SSD's 45,000: direct");
	is_int(write_strategy_for_iops(0, why, sizeof(why)), WRITE_STRATEGY_STAGE, "nothing measured: staged");
	is_int(write_strategy_for_iops(1e12, why, 16), WRITE_STRATEGY_DIRECT, "a short buffer: still chosen");
	is_int((long long)strlen(why), 15, "and the reason cut to it");
	return done_testing();
}
