// Tests of AEPOAlgorithms go in this folder; remove this file once one exists.
