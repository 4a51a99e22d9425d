// Tests of AEPOBenchmark go in this folder; remove this file once one exists.
