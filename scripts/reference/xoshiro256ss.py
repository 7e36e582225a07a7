#!/usr/bin/env python3
"""The first outputs of xoshiro256** seeded by splitmix64 from a given seed: the values that
tests/model/test_dropout_mask.cpp expects of pipeline/probe/dropout_mask.cpp.

A transcription of the reference C of Blackman & Vigna ("Scrambled linear pseudorandom number
generators", 2018; prng.di.unimi.it, public domain) and of Steele, Lea & Flood's splitmix64.
Check on the seeding: splitmix64's first output from state 0 is the published 0xe220a8397b1dcdaf.

    python3 scripts/reference/xoshiro256ss.py [SEED] [COUNT]
"""
import sys

MASK = (1 << 64) - 1


def splitmix64(state):
    state = (state + 0x9E3779B97F4A7C15) & MASK
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return state, z ^ (z >> 31)


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK


def xoshiro256ss(seed, count):
    s, state = [], seed
    for _ in range(4):
        state, word = splitmix64(state)
        s.append(word)
    out = []
    for _ in range(count):
        out.append(rotl((s[1] * 5) & MASK, 7) * 9 & MASK)
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
    return out


if __name__ == "__main__":
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    print("splitmix64 first output from state %d: %#018x" % (seed, splitmix64(seed)[1]))
    for value in xoshiro256ss(seed, count):
        print("%#018x" % value)
