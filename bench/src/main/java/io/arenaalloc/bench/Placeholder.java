package io.arenaalloc.bench; final class Placeholder { }
