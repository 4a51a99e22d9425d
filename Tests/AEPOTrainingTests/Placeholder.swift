// Tests of AEPOTraining go in this folder; remove this file once one exists.
