package io.arenaalloc.stats; final class Placeholder { }
