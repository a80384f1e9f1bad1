package io.arenaalloc.core;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A configuration property that is set must parse: the builder that reads it throws, naming the property, the
 * value and what was expected, instead of running with the default as {@code Long.getLong} would.
 */
class SystemPropertiesTest
{
    @ParameterizedTest
    @CsvSource({
        ArenaConfig.PROP_CHUNK_SIZE + ", 4M, expected a long",
        ArenaConfig.PROP_MAX_TOTAL_BYTES + ", 1e9, expected a long",
        ArenaConfig.PROP_SPARE_CHUNKS + ", one, expected an int",
        ArenaConfig.PROP_DEBUG + ", yes, expected true or false",
        ArenaConfig.PROP_FRAGMENTATION_THRESHOLD + ", 20%, expected a number",
        ArenaConfig.PROP_COMPACT_ON_ALLOCATION_FAILURE + ", 1, expected true or false",
        ArenaConfig.PROP_COMPACT_ON_FAILURE_NANOS + ", 2ms, expected a long"})
    void shouldRejectAnArenaPropertyThatDoesNotParse(final String name, final String value, final String expected)
    {
        final String before = System.getProperty(name);
        System.setProperty(name, value);
        try
        {
            assertThatThrownBy(ArenaConfig::builder).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(name + "=" + value).hasMessageContaining(expected);
        }
        finally
        {
            restore(name, before);
        }
    }

    @Test
    void shouldReadWellFormedPropertiesAndDefaultsWhenUnset()
    {
        final String chunk = System.getProperty(ArenaConfig.PROP_CHUNK_SIZE);
        final String debug = System.getProperty(ArenaConfig.PROP_DEBUG);
        System.setProperty(ArenaConfig.PROP_CHUNK_SIZE, " 0x100000 ");
        System.setProperty(ArenaConfig.PROP_DEBUG, "TRUE");
        try
        {
            final ArenaConfig config = ArenaConfig.builder().build();
            assertThat(config.chunkSize()).isEqualTo(1 << 20);
            assertThat(config.debug()).isTrue();
        }
        finally
        {
            restore(ArenaConfig.PROP_CHUNK_SIZE, chunk);
            restore(ArenaConfig.PROP_DEBUG, debug);
        }
        assertThat(SystemProperties.longValue("arena.test.unset", 42)).isEqualTo(42);
        assertThat(SystemProperties.booleanValue("arena.test.unset", true)).isTrue();
        assertThat(SystemProperties.doubleValue("arena.test.unset", 0.5)).isEqualTo(0.5);
        assertThat(SystemProperties.intValue("arena.test.unset", 7)).isEqualTo(7);
    }

    private static void restore(final String name, final String value)
    {
        if (value == null)
        {
            System.clearProperty(name);
        }
        else
        {
            System.setProperty(name, value);
        }
    }
}
