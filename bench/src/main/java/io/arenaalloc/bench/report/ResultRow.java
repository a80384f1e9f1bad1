package io.arenaalloc.bench.report;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One row of {@code results.json}: a (workload, subject, metric) with its unit and either the
 * median, min and max across {@code samples} measurement iterations (iterations x forks), or a
 * {@code skipped} reason in place of the figures.
 *
 * @param workload contract workload name, e.g. {@code churn-small} or {@code larson@2}.
 * @param subject  contract subject name.
 * @param metric   contract metric name ({@code time}, {@code throughput}, {@code alloc}, {@code p50}, ...).
 * @param unit     unit of the figures ({@code ns/op}, {@code Mops/s}, {@code B/op}, {@code ns}).
 * @param median   median across samples, null when skipped.
 * @param min      smallest sample, null when skipped.
 * @param max      largest sample, null when skipped.
 * @param samples  number of samples, 0 when skipped.
 * @param skipped  reason the subject did not run, null when it did.
 */
public record ResultRow(
    String workload, String subject, String metric, String unit,
    Double median, Double min, Double max, int samples, String skipped)
{
    /** Validate the row. */
    public ResultRow
    {
        Objects.requireNonNull(workload, "workload");
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(metric, "metric");
        Objects.requireNonNull(unit, "unit");
        if (skipped == null && (median == null || min == null || max == null))
        {
            throw new IllegalArgumentException("a measured row needs median, min and max: " + workload + "/" +
                subject + "/" + metric);
        }
    }

    /** @return a measured row. */
    public static ResultRow measured(
        final String workload, final String subject, final String metric, final String unit,
        final double median, final double min, final double max, final int samples)
    {
        return new ResultRow(workload, subject, metric, unit, median, min, max, samples, null);
    }

    /** @return a skipped row. */
    public static ResultRow skipped(
        final String workload, final String subject, final String metric, final String unit, final String reason)
    {
        return new ResultRow(workload, subject, metric, unit, null, null, null, 0, reason);
    }

    /** @return true when the subject did not run. */
    public boolean isSkipped()
    {
        return skipped != null;
    }

    /** @return the same figures under another workload name (a run that is two contract names). */
    public ResultRow withWorkload(final String otherWorkload)
    {
        return new ResultRow(otherWorkload, subject, metric, unit, median, min, max, samples, skipped);
    }

    /** @return the row as an insertion-ordered map in the contract's key order. */
    public Map<String, Object> toJson()
    {
        final Map<String, Object> map = new LinkedHashMap<>();
        map.put("workload", workload);
        map.put("subject", subject);
        map.put("metric", metric);
        map.put("unit", unit);
        if (isSkipped())
        {
            map.put("skipped", skipped);
        }
        else
        {
            map.put("median", median);
            map.put("min", min);
            map.put("max", max);
            map.put("samples", samples);
        }
        return map;
    }

    /** @return a row read from a parsed JSON object. */
    static ResultRow fromJson(final Map<?, ?> map)
    {
        final Object skippedValue = map.get("skipped");
        final String reason = skippedValue == null || Boolean.FALSE.equals(skippedValue) ? null : String.valueOf(skippedValue);
        final Object samplesValue = map.get("samples");
        return new ResultRow(
            text(map, "workload"), text(map, "subject"), text(map, "metric"), text(map, "unit"),
            (Double)map.get("median"), (Double)map.get("min"), (Double)map.get("max"),
            samplesValue == null ? 0 : ((Double)samplesValue).intValue(), reason);
    }

    private static String text(final Map<?, ?> map, final String key)
    {
        final Object value = map.get(key);
        if (value == null)
        {
            throw new IllegalArgumentException("result row lacks '" + key + "': " + map);
        }
        return value.toString();
    }
}
