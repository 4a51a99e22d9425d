// Tests of AEPOTools go in this folder; remove this file once one exists.
